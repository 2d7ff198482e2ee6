// launch_unary and launch_binary against the CPU ops (through the engine) for every op and float
// dtype: odd shapes, size 1, rank 0, empty, unaligned pointers, broadcasts of every kind, and one
// tensor large enough that the grid-stride loops go round more than once.
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cuda/elementwise.cuh"
#include "ops/op_util.h"

namespace lre::test {

namespace {

using cuda::BinaryOp;
using cuda::UnaryOp;

#define LRE_TEST_LIST_ENTRY(name) UnaryOp::name,
constexpr UnaryOp kUnaryOps[] = {LRE_CUDA_UNARY_OPS(LRE_TEST_LIST_ENTRY)};
#undef LRE_TEST_LIST_ENTRY
#define LRE_TEST_LIST_ENTRY(name) BinaryOp::name,
constexpr BinaryOp kBinaryOps[] = {LRE_CUDA_BINARY_OPS(LRE_TEST_LIST_ENTRY)};
#undef LRE_TEST_LIST_ENTRY

// Inputs inside each op's domain, so the comparison is between numbers, not NaNs.
std::pair<double, double> unary_range(UnaryOp op) {
  switch (op) {
    case UnaryOp::Log: case UnaryOp::Sqrt: return {0.05, 3.0};
    case UnaryOp::Acosh: return {1.05, 3.0};
    case UnaryOp::Asin: case UnaryOp::Acos: case UnaryOp::Atanh: return {-0.95, 0.95};
    default: return {-3.0, 3.0};
  }
}

// x -> y for one shape; `offset` elements shift both device pointers off 16-byte alignment.
void check_unary(UnaryOp op, DType dtype, const Shape& shape, int64_t offset, cudaStream_t stream, unsigned seed) {
  const auto [lo, hi] = unary_range(op);
  const Tensor x = random_float(dtype, shape, seed, lo, hi);
  const Tensor want = cpu_unary(cuda::unary_op_name(op), x);
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(dtype, x.numel(), stream, offset);
  cuda::launch_unary(op, dtype, dx.data, dy.data, x.numel(), stream);
  expect_all_close(download(dy.data, dtype, shape, stream), want,
                   std::string(cuda::unary_op_name(op)) + " " + dtype_name(dtype) + " " + shape_to_string(shape) +
                       (offset ? " unaligned" : ""));
}

class CudaUnary : public GpuParamTest<std::tuple<UnaryOp, DType>> {};

TEST_P(CudaUnary, MatchesCpu) {
  const auto [op, dtype] = GetParam();
  const Shape shapes[] = {{37}, {1}, {}, {3, 45, 7}, {257, 1031}};
  unsigned seed = 1;
  for (const Shape& shape : shapes) check_unary(op, dtype, shape, 0, stream(), seed++);
  check_unary(op, dtype, {1001}, 1, stream(), seed++);
}

TEST_P(CudaUnary, InPlace) {
  const auto [op, dtype] = GetParam();
  const auto [lo, hi] = unary_range(op);
  const Tensor x = random_float(dtype, {515}, 7, lo, hi);
  DeviceTensor dx = upload(x, stream());
  cuda::launch_unary(op, dtype, dx.data, dx.data, x.numel(), stream());
  expect_all_close(download(dx.data, dtype, x.shape(), stream()), cpu_unary(cuda::unary_op_name(op), x), "in place");
}

// Grid-stride loops: more elements than 2048 blocks x 256 threads x one pack cover in one pass.
TEST_P(CudaUnary, LargeTensor) {
  const auto [op, dtype] = GetParam();
  check_unary(op, dtype, {4200007}, 0, stream(), 11);
}

// n = 0 launches nothing and writes nothing.
TEST_P(CudaUnary, EmptyWritesNothing) {
  const auto [op, dtype] = GetParam();
  const Tensor x = random_float(dtype, {4}, 3);
  DeviceTensor dx = upload(x, stream());
  DeviceTensor dy = poisoned(dtype, 4, stream());
  cuda::launch_unary(op, dtype, dx.data, dy.data, 0, stream());
  const Tensor y = download(dy.data, dtype, {4}, stream());
  for (double v : to_doubles(y)) EXPECT_TRUE(std::isnan(v)) << "n = 0 wrote an element";
}

std::string unary_name(const ::testing::TestParamInfo<std::tuple<UnaryOp, DType>>& info) {
  return std::string(cuda::unary_op_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllOps, CudaUnary,
                         ::testing::Combine(::testing::ValuesIn(kUnaryOps), ::testing::ValuesIn(kFloatTypes)),
                         unary_name);

struct BroadcastCase {
  Shape a, b;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

// Same shape, scalars either side, rows, columns, outer products, mixed 4-D, rank 0, size 1,
// empty, unaligned cases and aligned rows: each kernel path of launch_binary.
const BroadcastCase kBroadcastCases[] = {
    {{3, 45, 7}, {3, 45, 7}},
    {{1000, 37}, {1}},
    {{1}, {1000, 37}},
    {{}, {65}},
    {{33, 65}, {65}},
    {{33, 65}, {33, 1}},
    {{33, 1}, {1, 65}},
    {{2, 1, 5, 7}, {3, 1, 7}},
    {{7, 1, 3, 1, 5, 1, 2}, {1, 4, 3, 6, 1, 3, 2}},
    {{1}, {1}},
    {{}, {}},
    {{0, 5}, {5}},
    {{5}, {0, 1}},
    {{1031}, {1031}, 1},
    {{31, 67}, {67}, 1},
    {{1100003}, {1100003}},
    // Row path with 16-byte aligned rows (vectorised), a row operand broadcast over rows, and
    // more rows than the grid's y dimension holds (65535).
    {{6, 64}, {6, 1}},
    {{1, 64}, {6, 64}},
    {{70001, 8}, {70001, 1}},
};

class CudaBinary : public GpuParamTest<std::tuple<BinaryOp, DType>> {};

TEST_P(CudaBinary, MatchesCpu) {
  const auto [op, dtype] = GetParam();
  unsigned seed = 100;
  for (const BroadcastCase& c : kBroadcastCases) {
    // Pow gets positive bases, so fractional exponents give numbers.
    const Tensor a = op == BinaryOp::Pow ? random_float(dtype, c.a, seed++, 0.1, 3.0) : random_float(dtype, c.a, seed++);
    const Tensor b = op == BinaryOp::Pow ? random_float(dtype, c.b, seed++, -2.0, 2.0) : random_float(dtype, c.b, seed++);
    const std::string what = std::string(cuda::binary_op_name(op)) + " " + dtype_name(dtype) + " " +
                             shape_to_string(c.a) + " with " + shape_to_string(c.b) + (c.offset ? " unaligned" : "");
    // Empty outputs are not sent to the CPU ops (their broadcast loop divides by the zero
    // dimension); the poison then checks that nothing was written.
    const Shape y_shape = broadcast_shapes(c.a, c.b);
    const Tensor want = shape_numel(y_shape) == 0 ? Tensor(dtype, y_shape) : cpu_binary(cuda::binary_op_name(op), a, b);
    DeviceTensor da = upload(a, stream(), c.offset), db = upload(b, stream(), c.offset);
    DeviceTensor dy = poisoned(dtype, want.numel(), stream(), c.offset);
    cuda::launch_binary(op, dtype, da.data, a.shape(), db.data, b.shape(), dy.data, want.shape(), stream());
    expect_all_close(download(dy.data, dtype, want.shape(), stream()), want, what);
  }
}

// y may be one of the inputs when it has y's shape (a += b).
TEST_P(CudaBinary, InPlace) {
  const auto [op, dtype] = GetParam();
  const Tensor a = random_float(dtype, {17, 33}, 5, 0.1, 3.0), b = random_float(dtype, {33}, 6, -2.0, 2.0);
  DeviceTensor da = upload(a, stream()), db = upload(b, stream());
  cuda::launch_binary(op, dtype, da.data, a.shape(), db.data, b.shape(), da.data, a.shape(), stream());
  expect_all_close(download(da.data, dtype, a.shape(), stream()), cpu_binary(cuda::binary_op_name(op), a, b), "in place");
}

std::string binary_name(const ::testing::TestParamInfo<std::tuple<BinaryOp, DType>>& info) {
  return std::string(cuda::binary_op_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllOps, CudaBinary,
                         ::testing::Combine(::testing::ValuesIn(kBinaryOps), ::testing::ValuesIn(kFloatTypes)),
                         binary_name);

TEST_P(CudaBinary, EmptyWritesNothing) {
  const auto [op, dtype] = GetParam();
  const Tensor a = random_float(dtype, {4}, 3), b = random_float(dtype, {0, 1}, 4);
  DeviceTensor da = upload(a, stream()), db = upload(b, stream());
  DeviceTensor dy = poisoned(dtype, 4, stream());
  cuda::launch_binary(op, dtype, da.data, a.shape(), db.data, b.shape(), dy.data, Shape{0, 4}, stream());
  const Tensor y = download(dy.data, dtype, {4}, stream());
  for (double v : to_doubles(y)) EXPECT_TRUE(std::isnan(v)) << "an empty output was written to";
}

class CudaElementwiseErrors : public GpuTest {};

TEST_F(CudaElementwiseErrors, ShapesThatDoNotBroadcastAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape a{3, 4}, b{5}, y{3, 4};
  try {
    cuda::launch_binary(BinaryOp::Add, DType::Float32, d.data, a, d.data, b, d.data, y, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("[3, 4] and [5]"), std::string::npos) << e.what();
  }
}

TEST_F(CudaElementwiseErrors, NonFloatDtypesAreUnsupported) {
  DeviceTensor d = poisoned(DType::Int32, 8, stream());
  try {
    cuda::launch_unary(UnaryOp::Relu, DType::Int32, d.data, d.data, 8, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
  }
}

}  // namespace

}  // namespace lre::test
