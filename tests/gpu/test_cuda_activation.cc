// launch_activation against the CPU ops through the engine (and, for the two GELU forms, which the
// CPU backend has no op for, against float64 formulas), for every op and float dtype, with default
// and non-default parameters: odd shapes, size 1, rank 0, empty, unaligned pointers, in place,
// NaN through Clip, and one tensor large enough that the grid-stride loop goes round.
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/activation.cuh"

namespace lre::test {

namespace {

using cuda::ActivationOp;
using cuda::ActivationParams;

#define LRE_TEST_LIST_ENTRY(name) ActivationOp::name,
constexpr ActivationOp kOps[] = {LRE_CUDA_ACTIVATION_OPS(LRE_TEST_LIST_ENTRY)};
#undef LRE_TEST_LIST_ENTRY

// Parameters other than the defaults, so every field is seen to reach the kernel.
ActivationParams custom_params(ActivationOp op) {
  switch (op) {
    case ActivationOp::LeakyRelu: return {0.2f, 0.f, 0.f};
    case ActivationOp::Elu: return {0.5f, 0.f, 0.f};
    case ActivationOp::Selu: return {1.5f, 0.f, 2.f};
    case ActivationOp::Celu: return {2.f, 0.f, 0.f};
    case ActivationOp::HardSigmoid: return {0.3f, 0.4f, 0.f};
    case ActivationOp::ThresholdedRelu: return {0.7f, 0.f, 0.f};
    case ActivationOp::Clip: return {-1.f, 2.f, 0.f};
    case ActivationOp::Shrink: return {1.2f, 0.3f, 0.f};
    case ActivationOp::Gelu: case ActivationOp::GeluTanh: return {};
  }
  return {};
}

// A scalar tensor of dtype holding v.
Tensor scalar_of(DType dtype, double v) {
  Tensor t(dtype, {});
  dispatch_float(dtype, "scalar_of", [&]<typename T>() { t.data<T>()[0] = static_cast<T>(static_cast<compute_t<T>>(v)); });
  return t;
}

// The reference: the CPU op with p as its attributes (Clip's bounds as opset 13 inputs), or the
// GELU formulas in float64, rounded once to the dtype.
Tensor reference(ActivationOp op, const ActivationParams& p, const Tensor& x) {
  const char* name = cuda::activation_op_name(op);
  switch (op) {
    case ActivationOp::LeakyRelu: case ActivationOp::Elu: case ActivationOp::Celu: case ActivationOp::ThresholdedRelu:
      return OpTest(name).input("x", x).attr("alpha", p.alpha).output("y").run()[0];
    case ActivationOp::Selu:
      return OpTest(name).input("x", x).attr("alpha", p.alpha).attr("gamma", p.gamma).output("y").run()[0];
    case ActivationOp::HardSigmoid:
      return OpTest(name).input("x", x).attr("alpha", p.alpha).attr("beta", p.beta).output("y").run()[0];
    case ActivationOp::Shrink:
      return OpTest(name).input("x", x).attr("lambd", p.alpha).attr("bias", p.beta).output("y").run()[0];
    case ActivationOp::Clip:
      return OpTest(name, 13).input("x", x).constant_input("min", scalar_of(x.dtype(), p.alpha))
          .constant_input("max", scalar_of(x.dtype(), p.beta)).output("y").run()[0];
    case ActivationOp::Gelu: case ActivationOp::GeluTanh: {
      Tensor y(x.dtype(), x.shape());
      const std::vector<double> xs = to_doubles(x);
      dispatch_float(x.dtype(), "gelu reference", [&]<typename T>() {
        for (size_t i = 0; i < xs.size(); ++i) {
          const double v = xs[i];
          const double r = op == ActivationOp::Gelu
                               ? 0.5 * v * std::erfc(-v / std::numbers::sqrt2)
                               : 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
          y.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(r));
        }
      });
      return y;
    }
  }
  return {};
}

// Clip's bounds as the CPU sees them: rounded to the dtype.
ActivationParams as_seen_by(ActivationOp op, ActivationParams p, DType dtype) {
  if (op == ActivationOp::Clip) {
    p.alpha = static_cast<float>(to_doubles(scalar_of(dtype, p.alpha))[0]);
    p.beta = static_cast<float>(to_doubles(scalar_of(dtype, p.beta))[0]);
  }
  return p;
}

void check(ActivationOp op, const ActivationParams& params, DType dtype, const Shape& shape, int64_t offset,
           cudaStream_t stream, unsigned seed) {
  const ActivationParams p = as_seen_by(op, params, dtype);
  const Tensor x = random_float(dtype, shape, seed);
  const Tensor want = x.numel() ? reference(op, p, x) : Tensor(dtype, shape);
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(dtype, x.numel(), stream, offset);
  cuda::launch_activation(op, p, dtype, dx.data, dy.data, x.numel(), stream);
  expect_all_close(download(dy.data, dtype, shape, stream), want,
                   std::string(cuda::activation_op_name(op)) + " " + dtype_name(dtype) + " " + shape_to_string(shape) +
                       " alpha " + std::to_string(p.alpha) + " beta " + std::to_string(p.beta) + " gamma " +
                       std::to_string(p.gamma) + (offset ? " unaligned" : ""));
}

class CudaActivation : public GpuParamTest<std::tuple<ActivationOp, DType>> {};

TEST_P(CudaActivation, MatchesCpu) {
  const auto [op, dtype] = GetParam();
  const Shape shapes[] = {{37}, {1}, {}, {3, 45, 7}, {257, 1031}, {0}, {4, 0}};
  unsigned seed = 1;
  for (const ActivationParams& p : {cuda::activation_defaults(op), custom_params(op)}) {
    for (const Shape& shape : shapes) check(op, p, dtype, shape, 0, stream(), seed++);
    check(op, p, dtype, {1001}, 1, stream(), seed++);
  }
}

TEST_P(CudaActivation, InPlace) {
  const auto [op, dtype] = GetParam();
  const ActivationParams p = as_seen_by(op, custom_params(op), dtype);
  const Tensor x = random_float(dtype, {515}, 7);
  DeviceTensor dx = upload(x, stream());
  cuda::launch_activation(op, p, dtype, dx.data, dx.data, x.numel(), stream());
  expect_all_close(download(dx.data, dtype, x.shape(), stream()), reference(op, p, x),
                   std::string(cuda::activation_op_name(op)) + " in place");
}

// Grid-stride loop: more elements than 2048 blocks x 256 threads x one pack cover in one pass.
TEST_P(CudaActivation, LargeTensor) {
  const auto [op, dtype] = GetParam();
  check(op, cuda::activation_defaults(op), dtype, {4200007}, 0, stream(), 11);
}

// n = 0 launches nothing and writes nothing.
TEST_P(CudaActivation, EmptyWritesNothing) {
  const auto [op, dtype] = GetParam();
  DeviceTensor dx = upload(random_float(dtype, {4}, 3), stream());
  DeviceTensor dy = poisoned(dtype, 4, stream());
  cuda::launch_activation(op, cuda::activation_defaults(op), dtype, dx.data, dy.data, 0, stream());
  for (double v : to_doubles(download(dy.data, dtype, {4}, stream())))
    EXPECT_TRUE(std::isnan(v)) << "n = 0 wrote an element";
}

std::string activation_name(const ::testing::TestParamInfo<std::tuple<ActivationOp, DType>>& info) {
  return std::string(cuda::activation_op_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllOps, CudaActivation,
                         ::testing::Combine(::testing::ValuesIn(kOps), ::testing::ValuesIn(kFloatTypes)),
                         activation_name);

class CudaActivationSpecial : public GpuParamTest<DType> {};

// Clip keeps NaN, takes infinities to the bounds, and with min > max gives max, as the CPU op does.
TEST_P(CudaActivationSpecial, ClipMatchesCpuOnSpecialValues) {
  const DType dtype = GetParam();
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = random_float(dtype, {64}, 5);
  dispatch_float(dtype, "test", [&]<typename T>() {
    const double specials[] = {std::nan(""), inf, -inf, -0.0};
    for (int i = 0; i < 4; ++i) x.data<T>()[i * 9] = static_cast<T>(static_cast<compute_t<T>>(specials[i]));
  });
  for (const ActivationParams& p : {ActivationParams{-1.f, 2.f, 0.f}, ActivationParams{1.f, -1.f, 0.f},
                                    cuda::activation_defaults(ActivationOp::Clip)}) {
    DeviceTensor dx = upload(x, stream());
    DeviceTensor dy = poisoned(dtype, x.numel(), stream());
    cuda::launch_activation(ActivationOp::Clip, p, dtype, dx.data, dy.data, x.numel(), stream());
    expect_all_close(download(dy.data, dtype, x.shape(), stream()), reference(ActivationOp::Clip, p, x),
                     std::string("Clip special values ") + dtype_name(dtype) + " [" + std::to_string(p.alpha) + ", " +
                         std::to_string(p.beta) + "]");
  }
}

// GELU at large |x|: the forms must reach x and -0 without cancelling to garbage or NaN.
TEST_P(CudaActivationSpecial, GeluTails) {
  const DType dtype = GetParam();
  Tensor x = random_float(dtype, {2000}, 9, -12.0, 12.0);
  for (ActivationOp op : {ActivationOp::Gelu, ActivationOp::GeluTanh}) {
    DeviceTensor dx = upload(x, stream());
    DeviceTensor dy = poisoned(dtype, x.numel(), stream());
    cuda::launch_activation(op, {}, dtype, dx.data, dy.data, x.numel(), stream());
    expect_all_close(download(dy.data, dtype, x.shape(), stream()), reference(op, {}, x),
                     std::string(cuda::activation_op_name(op)) + " tails " + dtype_name(dtype));
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaActivationSpecial, ::testing::ValuesIn(kFloatTypes),
                         [](const ::testing::TestParamInfo<DType>& info) { return std::string(dtype_name(info.param)); });

class CudaActivationErrors : public GpuTest {};

TEST_F(CudaActivationErrors, CeluWithZeroAlphaIsRefused) {
  DeviceTensor d = poisoned(DType::Float32, 8, stream());
  try {
    cuda::launch_activation(ActivationOp::Celu, {0.f, 0.f, 0.f}, DType::Float32, d.data, d.data, 8, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
}

TEST_F(CudaActivationErrors, NonFloatDtypesAreUnsupported) {
  DeviceTensor d = poisoned(DType::Int32, 8, stream());
  try {
    cuda::launch_activation(ActivationOp::LeakyRelu, cuda::activation_defaults(ActivationOp::LeakyRelu), DType::Int32,
                            d.data, d.data, 8, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
  }
}

}  // namespace

}  // namespace lre::test
