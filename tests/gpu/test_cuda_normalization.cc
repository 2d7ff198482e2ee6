// launch_layer_norm, launch_batch_norm and launch_instance_norm against the CPU ops through the
// engine, for every float dtype: each row kernel (warp per row at both register widths, block per
// row, streaming), vector and scalar paths, with and without bias, odd shapes, size 1, empty
// tensors, unaligned pointers, in place, grids that loop, and the arguments the launchers refuse.
#include <cmath>
#include <functional>
#include <tuple>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/normalization.cuh"

namespace lre::test {

namespace {

// ---- LayerNormalization ----

struct LayerNormCase {
  int64_t rows, cols;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

const LayerNormCase kLayerNormCases[] = {
    {1, 1},      {1, 37},   {5, 64},    {7, 255},   {3, 256},    // warp per row, 8 values a lane
    {3, 257},    {4, 384},  {5, 390},   {2, 1024},               // warp per row, 32 values a lane
    {2, 1025},   {3, 1280}, {3, 1500},  {2, 2049},               // block per row, 8 values a thread
    {2, 8193},   {1, 16384},                                     // block per row, 32 values a thread
    {2, 16385},  {1, 40001},                                     // streaming
    {6, 384, 1}, {3, 1283, 1}, {2, 20001, 1},                    // unaligned: scalar paths
    {0, 16},     {4, 0},                                         // empty
};

Tensor cpu_layer_norm(const Tensor& x, const Tensor& scale, const Tensor* bias, float eps) {
  OpTest op("LayerNormalization", 17);
  op.input("x", x).input("scale", scale);
  if (bias) op.input("bias", *bias);
  return op.attr("axis", int64_t{-1}).attr("epsilon", eps).output("y").run()[0];
}

Tensor gpu_layer_norm(const Tensor& x, const Tensor& scale, const Tensor* bias, float eps, int64_t offset,
                      cudaStream_t stream, bool in_place = false) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  DeviceTensor dx = upload(x, stream, offset), ds = upload(scale, stream, offset);
  DeviceTensor db = upload(bias ? *bias : scale, stream, offset);
  DeviceTensor dy = poisoned(x.dtype(), x.numel(), stream, offset);
  void* out = in_place ? dx.data : dy.data;
  cuda::launch_layer_norm(x.dtype(), dx.data, ds.data, bias ? db.data : nullptr, out, rows, cols, eps, stream);
  return download(out, x.dtype(), x.shape(), stream);
}

class CudaLayerNorm : public GpuParamTest<DType> {};

TEST_P(CudaLayerNorm, MatchesCpu) {
  const DType dtype = GetParam();
  unsigned seed = 1;
  for (const LayerNormCase& c : kLayerNormCases) {
    for (bool with_bias : {true, false}) {
      const Tensor x = random_float(dtype, {c.rows, c.cols}, seed++);
      const Tensor scale = random_float(dtype, {c.cols}, seed++, 0.5, 2.0);
      const Tensor bias = random_float(dtype, {c.cols}, seed++);
      const Tensor* b = with_bias ? &bias : nullptr;
      const float eps = 1e-5f;
      const Tensor want = x.numel() ? cpu_layer_norm(x, scale, b, eps) : Tensor(dtype, x.shape());
      expect_all_close(gpu_layer_norm(x, scale, b, eps, c.offset, stream()), want,
                       std::string("LayerNorm ") + dtype_name(dtype) + " " + shape_to_string(x.shape()) +
                           (with_bias ? "" : " no bias") + (c.offset ? " unaligned" : ""));
    }
  }
}

// Every element within atol + the dtype's relative tolerance of the reference.
void expect_all_within(const Tensor& got, const Tensor& want, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  const double rtol = relative_tolerance(want.dtype());
  int64_t bad = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::fabs(g[i] - w[i]) <= atol + rtol * std::fabs(w[i])) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << w.size() << " elements differ";
}

// Rows around 102 with a spread of 4: a one-pass E[x^2] - E[x]^2 in float32 would lose most of the
// variance. Both backends round the mean to float32 (ulp 7.6e-6 there) before subtracting it and
// may round it to neighbouring floats, so results near 0 agree to a few of those ulps, absolutely.
TEST_P(CudaLayerNorm, LargeMeanSmallVariance) {
  const DType dtype = GetParam();
  for (int64_t cols : {300, 3000, 30000}) {
    const Tensor x = random_float(dtype, {3, cols}, 7, 100.0, 104.0);
    const Tensor scale = random_float(dtype, {cols}, 8, 0.5, 2.0), bias = random_float(dtype, {cols}, 9);
    const Tensor got = gpu_layer_norm(x, scale, &bias, 1e-5f, 0, stream()), want = cpu_layer_norm(x, scale, &bias, 1e-5f);
    const std::string what = std::string("LayerNorm large mean ") + dtype_name(dtype) + " cols " + std::to_string(cols);
    expect_all_within(got, want, 1e-4, what);
  }
}

TEST_P(CudaLayerNorm, InPlace) {
  const DType dtype = GetParam();
  for (int64_t cols : {384, 1280, 20000}) {
    const Tensor x = random_float(dtype, {5, cols}, 11);
    const Tensor scale = random_float(dtype, {cols}, 12, 0.5, 2.0), bias = random_float(dtype, {cols}, 13);
    expect_all_close(gpu_layer_norm(x, scale, &bias, 1e-5f, 0, stream(), true), cpu_layer_norm(x, scale, &bias, 1e-5f),
                     std::string("LayerNorm in place ") + dtype_name(dtype) + " cols " + std::to_string(cols));
  }
}

// More rows than one pass of the grid covers: warp rows (8 a block, 2048 blocks) and block rows
// (4096 blocks, 32 values a thread once there are many rows).
TEST_P(CudaLayerNorm, LargeTensor) {
  const DType dtype = GetParam();
  for (const Shape& shape : {Shape{20000, 64}, Shape{4500, 1500}, Shape{5000, 1280}}) {
    const Tensor x = random_float(dtype, shape, 14);
    const Tensor scale = random_float(dtype, {shape[1]}, 15, 0.5, 2.0), bias = random_float(dtype, {shape[1]}, 16);
    expect_all_close(gpu_layer_norm(x, scale, &bias, 1e-5f, 0, stream()), cpu_layer_norm(x, scale, &bias, 1e-5f),
                     std::string("LayerNorm large ") + dtype_name(dtype) + " " + shape_to_string(shape));
  }
}

// ---- BatchNormalization (inference) ----

struct ChannelCase {
  Shape shape;  // (n, channels, spatial)
  int64_t offset = 0;
};

const ChannelCase kBatchNormCases[] = {
    {{2, 3, 35}},   {{1, 1, 1}},   {{1, 5, 1}},    {{4, 7, 64}},   {{3, 16, 33}},
    {{1, 3, 1000}}, {{2, 300, 2}}, {{4, 7, 64}, 1}, {{0, 3, 4}},    {{2, 3, 0}},
};

Tensor cpu_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& bias, const Tensor& mean, const Tensor& var,
                      float eps) {
  return OpTest("BatchNormalization", 15)
      .input("x", x).input("scale", scale).input("bias", bias).input("mean", mean).input("var", var)
      .attr("epsilon", eps).output("y").run()[0];
}

void check_batch_norm(DType dtype, const Shape& shape, int64_t offset, unsigned seed, cudaStream_t stream) {
  const int64_t c = shape[1];
  const Tensor x = random_float(dtype, shape, seed);
  const Tensor scale = random_float(dtype, {c}, seed + 1, 0.5, 2.0), bias = random_float(dtype, {c}, seed + 2);
  const Tensor mean = random_float(dtype, {c}, seed + 3, -1.0, 1.0), var = random_float(dtype, {c}, seed + 4, 0.5, 2.0);
  const float eps = 1e-3f;
  const Tensor want = x.numel() ? cpu_batch_norm(x, scale, bias, mean, var, eps) : Tensor(dtype, shape);
  DeviceTensor dx = upload(x, stream, offset), ds = upload(scale, stream, offset), db = upload(bias, stream, offset);
  DeviceTensor dm = upload(mean, stream, offset), dv = upload(var, stream, offset);
  DeviceTensor dy = poisoned(dtype, x.numel(), stream, offset);
  cuda::launch_batch_norm(dtype, dx.data, ds.data, db.data, dm.data, dv.data, dy.data, shape[0], c, shape[2], eps, stream);
  expect_all_close(download(dy.data, dtype, shape, stream), want,
                   std::string("BatchNorm ") + dtype_name(dtype) + " " + shape_to_string(shape) +
                       (offset ? " unaligned" : ""));
}

class CudaBatchNorm : public GpuParamTest<DType> {};

TEST_P(CudaBatchNorm, MatchesCpu) {
  unsigned seed = 100;
  for (const ChannelCase& c : kBatchNormCases) check_batch_norm(GetParam(), c.shape, c.offset, seed += 5, stream());
}

// Both grid dimensions loop: a plane longer than 2048 blocks of 256 threads cover, and more
// planes than 65535 blocks of 256 rows (spatial 1, one plane a thread) cover.
TEST_P(CudaBatchNorm, LargeTensor) {
  check_batch_norm(GetParam(), {1, 2, 4200007}, 0, 200, stream());
  check_batch_norm(GetParam(), {2, 9000000, 1}, 0, 210, stream());
}

// ---- InstanceNormalization ----

const ChannelCase kInstanceNormCases[] = {
    {{2, 3, 35}},     {{1, 1, 1}},      {{1, 4, 1}},       {{2, 5, 256}},   {{1, 3, 1000}},
    {{2, 2, 1025}},   {{1, 2, 9000}},   {{1, 2, 20000}},   {{2, 5, 256}, 1}, {{1, 2, 20001}, 1},
    {{0, 3, 5}},      {{2, 0, 5}},      {{2, 3, 0}},
};

Tensor cpu_instance_norm(const Tensor& x, const Tensor& scale, const Tensor& bias, float eps) {
  return OpTest("InstanceNormalization", 6).input("x", x).input("scale", scale).input("bias", bias)
      .attr("epsilon", eps).output("y").run()[0];
}

void check_instance_norm(DType dtype, const Shape& shape, int64_t offset, unsigned seed, cudaStream_t stream) {
  const int64_t c = shape[1];
  const Tensor x = random_float(dtype, shape, seed);
  const Tensor scale = random_float(dtype, {c}, seed + 1, 0.5, 2.0), bias = random_float(dtype, {c}, seed + 2);
  const float eps = 1e-5f;
  const Tensor want = x.numel() ? cpu_instance_norm(x, scale, bias, eps) : Tensor(dtype, shape);
  DeviceTensor dx = upload(x, stream, offset), ds = upload(scale, stream, offset), db = upload(bias, stream, offset);
  DeviceTensor dy = poisoned(dtype, x.numel(), stream, offset);
  cuda::launch_instance_norm(dtype, dx.data, ds.data, db.data, dy.data, shape[0], c, shape[2], eps, stream);
  expect_all_close(download(dy.data, dtype, shape, stream), want,
                   std::string("InstanceNorm ") + dtype_name(dtype) + " " + shape_to_string(shape) +
                       (offset ? " unaligned" : ""));
}

class CudaInstanceNorm : public GpuParamTest<DType> {};

TEST_P(CudaInstanceNorm, MatchesCpu) {
  unsigned seed = 300;
  for (const ChannelCase& c : kInstanceNormCases) check_instance_norm(GetParam(), c.shape, c.offset, seed += 3, stream());
}

// More planes than the warp-per-row grid covers in one pass.
TEST_P(CudaInstanceNorm, LargeTensor) { check_instance_norm(GetParam(), {40, 500, 49}, 0, 400, stream()); }

std::string dtype_param_name(const ::testing::TestParamInfo<DType>& info) { return dtype_name(info.param); }

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaLayerNorm, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaBatchNorm, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaInstanceNorm, ::testing::ValuesIn(kFloatTypes), dtype_param_name);

class CudaNormalizationErrors : public GpuTest {};

TEST_F(CudaNormalizationErrors, MissingParametersAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  expect_error(ErrorCode::InvalidArgument,
               [&] { cuda::launch_layer_norm(DType::Float32, d.data, nullptr, nullptr, d.data, 4, 16, 1e-5f, stream()); },
               "layer norm without scale");
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_instance_norm(DType::Float32, d.data, d.data, nullptr, d.data, 2, 2, 16, 1e-5f, stream());
               },
               "instance norm without bias");
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_batch_norm(DType::Float32, d.data, d.data, d.data, d.data, nullptr, d.data, 2, 2, 16, 1e-5f,
                                         stream());
               },
               "batch norm without var");
}

TEST_F(CudaNormalizationErrors, NegativeSizesAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  expect_error(ErrorCode::InvalidArgument,
               [&] { cuda::launch_layer_norm(DType::Float32, d.data, d.data, d.data, d.data, -1, 16, 1e-5f, stream()); },
               "layer norm with negative rows");
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_instance_norm(DType::Float32, d.data, d.data, d.data, d.data, 2, -2, 16, 1e-5f, stream());
               },
               "instance norm with negative channels");
}

TEST_F(CudaNormalizationErrors, NonFloatDtypesAreUnsupported) {
  DeviceTensor d = poisoned(DType::Int32, 64, stream());
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_layer_norm(DType::Int32, d.data, d.data, d.data, d.data, 4, 16, 1e-5f, stream()); },
               "layer norm on int32");
  expect_error(ErrorCode::Unsupported,
               [&] {
                 cuda::launch_batch_norm(DType::Int32, d.data, d.data, d.data, d.data, d.data, d.data, 2, 2, 16, 1e-5f,
                                         stream());
               },
               "batch norm on int32");
}

}  // namespace

}  // namespace lre::test
