// launch_transpose (and the strided copy under it) against the CPU Transpose op for one dtype of
// each element size: identities, row copies, tiled transposes with ragged edges, general
// permutations, size-1 dimensions, rank 0 and 1, empty tensors, unaligned pointers, and cases
// large enough that the grid-stride loops of every path go round more than once.
#include "gpu_test_util.h"
#include "kernels/cuda/transpose.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

struct TransposeCase {
  Shape shape;
  std::vector<int64_t> perm;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

Shape permuted(const Shape& shape, const std::vector<int64_t>& perm) {
  Shape out;
  for (int64_t p : perm) out.push_back(shape[static_cast<size_t>(p)]);
  return out;
}

void check_transpose(DType dtype, const TransposeCase& c, cudaStream_t stream, unsigned seed) {
  const Tensor x = random_elements(dtype, c.shape, seed);
  const Shape y_shape = permuted(c.shape, c.perm);
  const std::string what =
      case_name(dtype, c.shape, "perm " + shape_to_string(c.perm) + (c.offset ? " unaligned" : ""));
  Tensor want(dtype, y_shape);
  if (x.numel() > 0) {
    OpTest op("Transpose");
    op.input("x", x).output("y");
    if (!c.perm.empty()) op.attr("perm", c.perm);
    want = op.run()[0];
  }
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_transpose(dtype_size(dtype), dx.data, x.shape(), c.perm, dy.data, stream);
  expect_same_elements(download(dy.data, dtype, y_shape, stream), want, what);
}

const TransposeCase kCases[] = {
    {{2, 3, 4, 5}, {0, 1, 2, 3}},          // identity: one memcpy
    {{5, 1, 7}, {1, 0, 2}},                // identity once the size-1 dimension is dropped
    {{2, 3, 4, 5}, {0, 2, 1, 3}},          // (b, h, s, d) -> (b, s, h, d): rows
    {{1, 12, 77, 64}, {0, 2, 1, 3}},       // attention heads: rows, widened to 16-byte words
    {{3, 5, 40}, {1, 0, 2}, 1},            // rows of 40 unaligned elements
    {{2, 37, 45, 67}, {0, 2, 3, 1}},       // NCHW -> NHWC: tiles with ragged edges
    {{2, 45, 67, 37}, {0, 3, 1, 2}},       // NHWC -> NCHW
    {{1, 8, 150, 64}, {0, 1, 3, 2}},       // K transposed per head
    {{33, 65}, {1, 0}, 1},                 // tiles, unaligned
    {{3, 4, 5, 6, 7}, {4, 2, 0, 3, 1}},    // general
    {{2, 3, 4}, {2, 1, 0}},                // reversed, short dimensions: element by element
    {{300, 3}, {1, 0}},                    // one dimension too short for tiles
    {{1, 5, 1, 7}, {2, 3, 0, 1}},          // size-1 dimensions
    {{37}, {0}},                           // rank 1
    {{1}, {0}},                            // one element
    {{}, {}},                              // rank 0
    {{3, 0, 5}, {2, 0, 1}},                // empty
    {{0}, {0}},                            // empty rank 1
};

class CudaTranspose : public GpuParamTest<DType> {};

TEST_P(CudaTranspose, MatchesCpu) {
  unsigned seed = 1;
  for (const TransposeCase& c : kCases) check_transpose(GetParam(), c, stream(), seed++);
}

// Each path's grid loops: more tiles (64 x 64 for 1- and 2-byte elements, else 32 x 32) than
// 2048 blocks, more rows than the row kernel's grid covers, more elements than 2048 x 256 threads
// for the element-by-element kernel.
TEST_P(CudaTranspose, LargeTensors) {
  check_transpose(GetParam(), {{3000, 2900}, {1, 0}}, stream(), 101);
  check_transpose(GetParam(), {{140000, 2, 40}, {1, 0, 2}, 1}, stream(), 102);
  check_transpose(GetParam(), {{300001, 3}, {1, 0}}, stream(), 103);
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaTranspose, ::testing::ValuesIn(kMovementTypes), dtype_param_name);

class CudaTransposeErrors : public GpuTest {};

TEST_F(CudaTransposeErrors, BadPermutationsAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape shape{2, 3, 4};
  for (const std::vector<int64_t>& perm : {std::vector<int64_t>{0, 1}, {0, 1, 1}, {0, 1, 3}, {-1, 0, 1}}) {
    try {
      cuda::launch_transpose(4, d.data, shape, perm, d.data, stream());
      FAIL() << "expected lre::Error for perm " << shape_to_string(perm);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    }
  }
}

}  // namespace

}  // namespace lre::test
