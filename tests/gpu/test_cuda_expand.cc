// launch_expand and launch_tile against the CPU Expand and Tile ops for one dtype of each element
// size: broadcasts of scalars, rows, columns and middle dimensions, rank growth, repeats of 1 and
// 0, empty tensors, tensors large enough that the grid loops, and shapes that do not fit refused.
#include "gpu_test_util.h"
#include "kernels/cuda/expand.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

struct ExpandCase {
  Shape x, y;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

void check_expand(DType dtype, const ExpandCase& c, cudaStream_t stream, unsigned seed) {
  const Tensor x = random_elements(dtype, c.x, seed);
  const std::string what =
      case_name(dtype, c.x, "expanded to " + shape_to_string(c.y) + (c.offset ? " unaligned" : ""));
  Tensor want(dtype, c.y);
  if (shape_numel(c.y) > 0) {
    want = OpTest("Expand")
               .input("x", x)
               .constant_input("shape", make_tensor<int64_t>({static_cast<int64_t>(c.y.size())}, c.y))
               .output("y")
               .run()[0];
  }
  ASSERT_EQ(want.shape(), c.y) << what;
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_expand(dtype_size(dtype), dx.data, x.shape(), dy.data, c.y, stream);
  expect_same_elements(download(dy.data, dtype, c.y, stream), want, what);
}

const ExpandCase kExpandCases[] = {
    {{3, 1}, {2, 3, 5}},         // columns, and a new leading dimension
    {{1}, {37}},                 // a scalar of rank 1
    {{}, {4, 5}},                // rank 0
    {{5}, {3, 5}},               // rows
    {{2, 1, 7}, {2, 33, 7}},     // a middle dimension
    {{3, 1, 64}, {3, 10, 64}},   // rows that widen to 16-byte words
    {{3, 1, 64}, {3, 10, 64}, 1},
    {{1, 4, 1, 6}, {5, 4, 3, 6}},
    {{2, 3}, {2, 3}},            // nothing to broadcast: one copy
    {{1, 1}, {1, 1}},
    {{0, 1}, {0, 5}},            // empty
    {{3, 1}, {3, 0}},            // empty by broadcasting a dimension to 0
};

class CudaExpand : public GpuParamTest<DType> {};

TEST_P(CudaExpand, MatchesCpu) {
  unsigned seed = 1;
  for (const ExpandCase& c : kExpandCases) check_expand(GetParam(), c, stream(), seed++);
}

// More rows than the row kernel's grid holds, and more elements than one pass of the
// element-by-element kernel.
TEST_P(CudaExpand, LargeTensors) {
  check_expand(GetParam(), {{1, 33}, {280000, 33}, 1}, stream(), 101);
  check_expand(GetParam(), {{1100, 1}, {1100, 1000}}, stream(), 102);
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaExpand, ::testing::ValuesIn(kMovementTypes), dtype_param_name);

struct TileCase {
  Shape x;
  std::vector<int64_t> repeats;
  int64_t offset = 0;
};

void check_tile(DType dtype, const TileCase& c, cudaStream_t stream, unsigned seed) {
  const Tensor x = random_elements(dtype, c.x, seed);
  Shape y_shape = c.x;
  for (size_t d = 0; d < y_shape.size(); ++d) y_shape[d] *= c.repeats[d];
  const std::string what =
      case_name(dtype, c.x, "tiled " + shape_to_string(c.repeats) + (c.offset ? " unaligned" : ""));
  Tensor want(dtype, y_shape);
  if (shape_numel(y_shape) > 0) {
    want = OpTest("Tile")
               .input("x", x)
               .constant_input("repeats", make_tensor<int64_t>({static_cast<int64_t>(c.repeats.size())}, c.repeats))
               .output("y")
               .run()[0];
  }
  ASSERT_EQ(want.shape(), y_shape) << what;
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_tile(dtype_size(dtype), dx.data, x.shape(), dy.data, y_shape, stream);
  expect_same_elements(download(dy.data, dtype, y_shape, stream), want, what);
}

const TileCase kTileCases[] = {
    {{2, 3}, {3, 4}},
    {{5}, {1}},                                             // nothing repeated: one copy
    {{7, 1, 3}, {2, 5, 1}},
    {{3, 64}, {2, 3}},                                      // rows that widen
    {{3, 64}, {2, 3}, 1},
    {{1}, {41}},
    {{2, 1, 2, 1, 2, 1, 2, 1}, {2, 2, 1, 2, 2, 2, 1, 3}},   // rank 8: a view of up to 16 dimensions
    {{0, 3}, {2, 2}},                                       // empty input
    {{2, 3}, {0, 2}},                                       // zero repeats
};

TEST_P(CudaExpand, TileMatchesCpu) {
  unsigned seed = 50;
  for (const TileCase& c : kTileCases) check_tile(GetParam(), c, stream(), seed++);
}

TEST_P(CudaExpand, LargeTile) {
  check_tile(GetParam(), {{300, 7}, {4, 100}}, stream(), 151);
}

class CudaExpandErrors : public GpuTest {};

TEST_F(CudaExpandErrors, ShapesThatDoNotFitAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape x{3, 4}, not_broadcast{3, 5}, lower_rank{4}, not_multiple{3, 6};
  EXPECT_THROW(cuda::launch_expand(4, d.data, x, d.data, not_broadcast, stream()), Error);
  EXPECT_THROW(cuda::launch_expand(4, d.data, x, d.data, lower_rank, stream()), Error);
  EXPECT_THROW(cuda::launch_tile(4, d.data, x, d.data, not_multiple, stream()), Error);
  EXPECT_THROW(cuda::launch_tile(4, d.data, x, d.data, lower_rank, stream()), Error);
}

}  // namespace

}  // namespace lre::test
