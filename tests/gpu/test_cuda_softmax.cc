// launch_softmax (Softmax and LogSoftmax) against the CPU ops through the engine, for every float
// dtype: each kernel path (warp per row at every register width, block per row up to a 51866-wide
// vocabulary, strided axes with short and long n), odd shapes, size 1, empty tensors, unaligned
// rows, in place, rows holding NaN or infinities, and a row count that loops the grid.
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/softmax.cuh"
#include "ops/op_util.h"

namespace lre::test {

namespace {

struct SoftmaxCase {
  Shape shape;
  int64_t axis;
  int64_t offset = 0;  // elements both device pointers are shifted by
};

const SoftmaxCase kCases[] = {
    {{37}, 0},               // one row, a warp
    {{1, 1}, 1},             // n = 1
    {{5, 1}, 1},             // n = 1, several rows
    {{3, 45, 7}, 2},         // rows of 7
    {{3, 45, 7}, 1},         // strided, inner 7
    {{3, 45, 7}, 0},         // strided, outer 1, inner 315
    {{6, 32}, 1},            // exactly one value a lane
    {{5, 256}, 1},           // the warp's 8-value width, full
    {{5, 264}, 1},           // the warp's 32-value width
    {{4, 1024}, 1},          // longest warp row
    {{2, 1025}, 1},          // shortest block row
    {{3, 390}, 1},           // 8-byte packs (float32), single elements (half types)
    {{4, 1500}, 1},          // 8-byte packs for the half types: 1500 is not a multiple of 8
    {{3, 5000}, 1},          // block of 1024, 8 values a thread
    {{2, 16384}, 1},         // longest row held in registers, 32 values a thread
    {{2, 16385}, 1},         // shortest row swept from memory
    {{3, 51866}, 1},         // Whisper's vocabulary
    {{2, 5000, 3}, 1},       // strided, long axis, few columns
    {{2, 3, 1000, 5}, 2},    // strided, four dimensions
    {{2, 3, 37, 100}, 2},    // strided, more than 32 columns
    {{6, 300}, 1, 1},        // unaligned warp rows
    {{9, 1031}, 1, 1},       // unaligned block rows
    {{3, 20001}, 1, 1},      // unaligned swept rows: scalar head and tail around the packs
    {{3, 0, 5}, 1},          // empty
    {{0, 7}, 1},             // empty
};

Tensor cpu_softmax(bool log, const Tensor& x, int64_t axis) {
  return OpTest(log ? "LogSoftmax" : "Softmax", 13).input("x", x).attr("axis", axis).output("y").run()[0];
}

// x -> y through the GPU, with the (outer, n, inner) split the CPU op uses.
Tensor gpu_softmax(bool log, const Tensor& x, int64_t axis, int64_t offset, cudaStream_t stream, bool in_place = false) {
  const auto [outer, n, inner] = split_at_axis(x.shape(), axis);
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(x.dtype(), x.numel(), stream, offset);
  void* out = in_place ? dx.data : dy.data;
  cuda::launch_softmax(x.dtype(), dx.data, out, outer, n, inner, log, stream);
  return download(out, x.dtype(), x.shape(), stream);
}

std::string describe(bool log, DType dtype, const Shape& shape, int64_t axis) {
  return std::string(log ? "LogSoftmax " : "Softmax ") + dtype_name(dtype) + " " + shape_to_string(shape) + " axis " +
         std::to_string(axis);
}

class CudaSoftmax : public GpuParamTest<std::tuple<bool, DType>> {};

TEST_P(CudaSoftmax, MatchesCpu) {
  const auto [log, dtype] = GetParam();
  unsigned seed = 1;
  for (const SoftmaxCase& c : kCases) {
    const Tensor x = random_float(dtype, c.shape, seed++);
    const Tensor want = x.numel() ? cpu_softmax(log, x, c.axis) : Tensor(dtype, c.shape);
    expect_all_close(gpu_softmax(log, x, c.axis, c.offset, stream()), want,
                     describe(log, dtype, c.shape, c.axis) + (c.offset ? " unaligned" : ""));
  }
}

// Every element within `atol` of the reference (NaN matching NaN).
void expect_all_within(const Tensor& got, const Tensor& want, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  int64_t bad = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if ((std::isnan(w[i]) && std::isnan(g[i])) || std::fabs(g[i] - w[i]) <= atol) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << w.size() << " elements differ";
}

// Large logits (up to 80, where exp overflows float without the max subtraction). LogSoftmax
// subtracts max + log(sum), a float rounded at the inputs' magnitude (ulp 7.6e-6 near 80), so in
// float32 both backends agree to that absolute precision, not to 1e-5 of a result near 0.
TEST_P(CudaSoftmax, LargeInputsDoNotOverflow) {
  const auto [log, dtype] = GetParam();
  for (const SoftmaxCase& c : {SoftmaxCase{{4, 200}, 1}, SoftmaxCase{{2, 3000}, 1}, SoftmaxCase{{2, 30000}, 1},
                               SoftmaxCase{{3, 40, 5}, 1}}) {
    const Tensor x = random_float(dtype, c.shape, 21, 60.0, 80.0);
    const std::string what = describe(log, dtype, c.shape, c.axis) + " large inputs";
    const Tensor got = gpu_softmax(log, x, c.axis, 0, stream()), want = cpu_softmax(log, x, c.axis);
    if (log && dtype == DType::Float32) expect_all_within(got, want, 2e-5, what);
    else expect_all_close(got, want, what);
  }
}

// A NaN or +inf anywhere in a row makes it NaN throughout; -inf elements get probability 0 (and
// an all -inf row is NaN); other rows are untouched. The CPU kernel is the reference for all of it.
TEST_P(CudaSoftmax, SpecialValuesMatchCpu) {
  const auto [log, dtype] = GetParam();
  const double inf = std::numeric_limits<double>::infinity();
  for (const SoftmaxCase& c : {SoftmaxCase{{6, 40}, 1}, SoftmaxCase{{6, 2000}, 1}, SoftmaxCase{{6, 20000}, 1},
                               SoftmaxCase{{2, 6, 9}, 1}}) {
    Tensor x = random_float(dtype, c.shape, 31);
    const auto [outer, n, inner] = split_at_axis(c.shape, c.axis);
    // Row r (of outer * inner) gets: 0 NaN, 1 +inf, 2 a few -inf, 3 only -inf, others nothing.
    auto set = [&](int64_t row, int64_t k, double v) {
      const int64_t at = (row / inner) * n * inner + k * inner + row % inner;
      dispatch_float(dtype, "test", [&]<typename T>() { x.data<T>()[at] = static_cast<T>(static_cast<compute_t<T>>(v)); });
    };
    set(0, n / 2, std::nan(""));
    set(1, n - 1, inf);
    for (int64_t k = 0; k < n; k += 3) set(2, k, -inf);
    for (int64_t k = 0; k < n; ++k) set(3, k, -inf);
    expect_all_close(gpu_softmax(log, x, c.axis, 0, stream()), cpu_softmax(log, x, c.axis),
                     describe(log, dtype, c.shape, c.axis) + " special values");
  }
}

TEST_P(CudaSoftmax, InPlace) {
  const auto [log, dtype] = GetParam();
  for (const SoftmaxCase& c : {SoftmaxCase{{7, 300}, 1}, SoftmaxCase{{3, 3000}, 1}, SoftmaxCase{{3, 30000}, 1},
                               SoftmaxCase{{3, 50, 6}, 1}}) {
    const Tensor x = random_float(dtype, c.shape, 41);
    expect_all_close(gpu_softmax(log, x, c.axis, 0, stream(), true), cpu_softmax(log, x, c.axis),
                     describe(log, dtype, c.shape, c.axis) + " in place");
  }
}

// More rows than the grid covers in one pass, on each path.
TEST_P(CudaSoftmax, LargeTensor) {
  const auto [log, dtype] = GetParam();
  for (const SoftmaxCase& c : {SoftmaxCase{{70001, 3}, 1}, SoftmaxCase{{4500, 1100}, 1}, SoftmaxCase{{4500, 1500}, 1},
                               SoftmaxCase{{2100, 20000}, 1},
                               SoftmaxCase{{9000, 3, 35}, 1}}) {
    const Tensor x = random_float(dtype, c.shape, 51);
    expect_all_close(gpu_softmax(log, x, c.axis, 0, stream()), cpu_softmax(log, x, c.axis),
                     describe(log, dtype, c.shape, c.axis) + " large");
  }
}

std::string softmax_name(const ::testing::TestParamInfo<std::tuple<bool, DType>>& info) {
  return std::string(std::get<0>(info.param) ? "LogSoftmax_" : "Softmax_") + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaSoftmax,
                         ::testing::Combine(::testing::Bool(), ::testing::ValuesIn(kFloatTypes)), softmax_name);

class CudaSoftmaxErrors : public GpuTest {};

TEST_F(CudaSoftmaxErrors, NonFloatDtypesAreUnsupported) {
  DeviceTensor d = poisoned(DType::Int32, 8, stream());
  try {
    cuda::launch_softmax(DType::Int32, d.data, d.data, 1, 8, 1, false, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
  }
}

}  // namespace

}  // namespace lre::test
