// launch_where against the CPU Where op for one dtype of each element size: same shapes, scalars,
// rows and columns of each input broadcast three ways, rank 0, empty outputs, unaligned pointers,
// large tensors that loop the grid, and shapes that do not broadcast refused.
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cuda/where.cuh"
#include "movement_gpu_util.h"
#include "ops/op_util.h"

namespace lre::test {

namespace {

struct WhereCase {
  Shape cond, x, y;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

void check_where(DType dtype, const WhereCase& c, cudaStream_t stream, unsigned seed) {
  const Tensor cond = random_elements(DType::Bool, c.cond, seed);
  const Tensor x = random_elements(dtype, c.x, seed + 1);
  const Tensor y = random_elements(dtype, c.y, seed + 2);
  const Shape out_shape = broadcast_shapes(broadcast_shapes(c.cond, c.x), c.y);
  const std::string what = case_name(dtype, out_shape,
                                     "cond " + shape_to_string(c.cond) + " x " + shape_to_string(c.x) + " y " +
                                         shape_to_string(c.y) + (c.offset ? " unaligned" : ""));
  const Tensor want = shape_numel(out_shape) == 0
                          ? Tensor(dtype, out_shape)
                          : OpTest("Where").input("c", cond).input("x", x).input("y", y).output("out").run()[0];
  ASSERT_EQ(want.shape(), out_shape) << what;
  DeviceTensor dc = upload(cond, stream, c.offset);
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = upload(y, stream, c.offset);
  DeviceTensor dout = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_where(dtype_size(dtype), static_cast<const bool*>(dc.data), c.cond, dx.data, c.x, dy.data, c.y,
                     dout.data, out_shape, stream);
  expect_same_elements(download(dout.data, dtype, out_shape, stream), want, what);
}

const WhereCase kCases[] = {
    {{3, 45, 7}, {3, 45, 7}, {3, 45, 7}},         // one contiguous run
    {{1}, {37}, {37}},                            // a scalar condition
    {{37}, {}, {1}},                              // scalar values
    {{4, 1}, {1, 5}, {}},                         // outer product of condition and x
    {{2, 1, 3, 1, 5}, {1, 4, 3, 6, 1}, {5}},      // five dimensions, each input broadcast differently
    {{6, 1}, {6, 33}, {6, 33}},                   // a per-row condition
    {{33}, {65, 33}, {65, 1}},
    {{}, {}, {}},                                 // rank 0
    {{1, 1}, {1}, {1, 1, 1}},                     // size 1 everywhere
    {{1031}, {1031}, {1031}, 1},                  // unaligned
    {{0, 3}, {3}, {1}},                           // empty
    {{2, 1}, {2, 0}, {1}},                        // empty by broadcasting to 0
};

class CudaWhere : public GpuParamTest<DType> {};

TEST_P(CudaWhere, MatchesCpu) {
  unsigned seed = 1;
  for (const WhereCase& c : kCases) {
    check_where(GetParam(), c, stream(), seed);
    seed += 3;
  }
}

// More elements than 2048 blocks x 256 threads cover in one pass, contiguous and broadcast.
TEST_P(CudaWhere, LargeTensors) {
  check_where(GetParam(), {{1100003}, {1100003}, {1100003}}, stream(), 101);
  check_where(GetParam(), {{1000, 1}, {1, 1100}, {1000, 1100}}, stream(), 104);
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaWhere, ::testing::ValuesIn(kMovementTypes), dtype_param_name);

class CudaWhereErrors : public GpuTest {};

TEST_F(CudaWhereErrors, ShapesThatDoNotBroadcastAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape cond{3, 4}, x{5}, y{1}, out{3, 4};
  const bool* c = static_cast<const bool*>(d.data);
  EXPECT_THROW(cuda::launch_where(4, c, cond, d.data, x, d.data, y, d.data, out, stream()), Error);
  const Shape x_ok{4}, out_small{4};
  EXPECT_THROW(cuda::launch_where(4, c, cond, d.data, x_ok, d.data, y, d.data, out_small, stream()), Error);
}

}  // namespace

}  // namespace lre::test
