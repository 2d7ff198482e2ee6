// launch_slice against the CPU Slice op for one dtype of each element size: strided and reversed
// dimensions (negative steps), contiguous rows (widened and not), rank 0 and 1, empty results, a
// large reversed case that loops the grid, and reads outside the input refused.
#include <limits>

#include "gpu_test_util.h"
#include "kernels/cuda/slice.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

// Per dimension the resolved slice the launcher takes: first index, step and length.
struct SliceDim {
  int64_t start, step, len;
};

struct SliceCase {
  Shape shape;
  std::vector<SliceDim> dims;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

// The CPU reference through the Slice op, with ends chosen so that ONNX's clamping gives back
// exactly `dims`: one past the last index read, or "before the start" for a reversal that ends at 0.
Tensor cpu_slice(const Tensor& x, const std::vector<SliceDim>& dims) {
  std::vector<int64_t> starts, ends, axes, steps;
  for (size_t d = 0; d < dims.size(); ++d) {
    const SliceDim& s = dims[d];
    const int64_t end = s.len == 0 ? s.start : s.start + (s.len - 1) * s.step + (s.step > 0 ? 1 : -1);
    starts.push_back(s.start);
    ends.push_back(end < 0 ? std::numeric_limits<int64_t>::min() : end);
    axes.push_back(static_cast<int64_t>(d));
    steps.push_back(s.step);
  }
  const Shape n{static_cast<int64_t>(dims.size())};
  return OpTest("Slice")
      .input("x", x)
      .constant_input("starts", make_tensor<int64_t>(n, starts))
      .constant_input("ends", make_tensor<int64_t>(n, ends))
      .constant_input("axes", make_tensor<int64_t>(n, axes))
      .constant_input("steps", make_tensor<int64_t>(n, steps))
      .output("y")
      .run()[0];
}

void check_slice(DType dtype, const SliceCase& c, cudaStream_t stream, unsigned seed) {
  const Tensor x = random_elements(dtype, c.shape, seed);
  std::vector<int64_t> starts, steps;
  Shape y_shape;
  for (const SliceDim& s : c.dims) {
    starts.push_back(s.start);
    steps.push_back(s.step);
    y_shape.push_back(s.len);
  }
  std::string what = case_name(dtype, c.shape, "to " + shape_to_string(y_shape) + " steps " + shape_to_string(steps));
  if (c.offset) what += " unaligned";
  const Tensor want = shape_numel(y_shape) == 0 ? Tensor(dtype, y_shape) : c.shape.empty() ? x : cpu_slice(x, c.dims);
  ASSERT_EQ(want.shape(), y_shape) << what;
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_slice(dtype_size(dtype), dx.data, x.shape(), starts, steps, dy.data, y_shape, stream);
  expect_same_elements(download(dy.data, dtype, y_shape, stream), want, what);
}

const SliceCase kCases[] = {
    {{7, 9}, {{1, 2, 3}, {2, 3, 3}}},                        // strided both ways
    {{5, 6, 7}, {{4, -1, 5}, {5, -1, 6}, {6, -1, 7}}},       // every dimension reversed
    {{11}, {{10, -3, 4}}},                                   // 10, 7, 4, 1
    {{13, 8}, {{12, -2, 7}, {7, -3, 3}}},                    // reversed strides reaching index 0
    {{37, 45}, {{3, 1, 30}, {5, 1, 33}}},                    // contiguous rows
    {{2, 3, 64}, {{0, 1, 2}, {1, 1, 2}, {16, 1, 32}}},       // rows that widen to 16-byte words
    {{2, 3, 64}, {{0, 1, 2}, {1, 1, 2}, {16, 1, 32}}, 1},    // the same rows unaligned
    {{4, 50, 3}, {{1, 1, 3}, {49, -1, 50}, {0, 1, 3}}},      // a reversed middle dimension
    {{6, 1, 5}, {{1, 2, 3}, {0, 1, 1}, {4, -4, 2}}},         // size 1 and a step as large as the axis
    {{37}, {{0, 1, 37}}},                                    // the whole tensor: one copy
    {{1}, {{0, 1, 1}}},                                      // one element
    {{}, {}},                                                // rank 0
    {{4, 5}, {{2, 1, 0}, {0, 1, 5}}},                        // empty result
    {{0, 5}, {{0, 1, 0}, {1, 2, 2}}},                        // empty input
};

class CudaSlice : public GpuParamTest<DType> {};

TEST_P(CudaSlice, MatchesCpu) {
  unsigned seed = 1;
  for (const SliceCase& c : kCases) check_slice(GetParam(), c, stream(), seed++);
}

// Reversed rows go element by element; more elements than 2048 x 256 threads cover in one pass.
// The second case copies more contiguous rows than the row kernel's grid covers in one pass.
TEST_P(CudaSlice, LargeTensors) {
  check_slice(GetParam(), {{1200, 1100}, {{1, 1, 1199}, {1099, -1, 1100}}}, stream(), 101);
  check_slice(GetParam(), {{270000, 41}, {{0, 1, 270000}, {1, 1, 40}}, 1}, stream(), 102);
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaSlice, ::testing::ValuesIn(kMovementTypes), dtype_param_name);

class CudaSliceErrors : public GpuTest {};

TEST_F(CudaSliceErrors, ReadsOutsideTheInputAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape x_shape{4, 5};
  const auto expect_refused = [&](std::vector<int64_t> starts, std::vector<int64_t> steps, Shape y_shape) {
    try {
      cuda::launch_slice(4, d.data, x_shape, starts, steps, d.data, y_shape, stream());
      FAIL() << "expected lre::Error for starts " << shape_to_string(starts) << " steps " << shape_to_string(steps);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    }
  };
  expect_refused({4, 0}, {1, 1}, {1, 5});   // start past the end
  expect_refused({0, 1}, {1, 1}, {4, 5});   // runs off the end
  expect_refused({3, 0}, {-2, 1}, {3, 5});  // runs off the start
  expect_refused({0, 0}, {0, 1}, {2, 5});   // step 0
  expect_refused({0, 0}, {1, 1}, {4});      // rank mismatch
}

}  // namespace

}  // namespace lre::test
