// launch_reduce and launch_arg_reduce against the CPU ops through the engine: every Reduce* op for
// the float dtypes and the integer ops for int32/int64, on each kernel path (short rows, warp and
// block rows, column tiles, the general walk over non-adjacent axes), size 1, rank 0, empty
// reductions and empty outputs, unaligned rows, NaN, grids that loop, and refused arguments.
// Inputs are chosen so float sums are exact in any order (multiples of 1/8, products of powers of
// two), so the comparison checks the kernels rather than rounding order.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cuda/reduce.cuh"
#include "ops/op_util.h"

namespace lre::test {

namespace {

using cuda::ReduceOp;

constexpr ReduceOp kAllOps[] = {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max,      ReduceOp::Min,
                                ReduceOp::Prod, ReduceOp::L1,  ReduceOp::L2,       ReduceOp::LogSum,
                                ReduceOp::LogSumExp, ReduceOp::SumSquare};
constexpr ReduceOp kIntOps[] = {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min,
                                ReduceOp::Prod, ReduceOp::L1, ReduceOp::SumSquare};

// Inputs for op: multiples of 1/8 in [-3, 3] (positive for LogSum), exact in every float dtype and
// in float32 sums; for Prod mostly +-1 with an occasional +-0.5 or +-2, so products stay exact and
// in range. Never zero.
Tensor reduce_input(ReduceOp op, DType dtype, const Shape& shape, unsigned seed) {
  Tensor t(dtype, shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> eighths(op == ReduceOp::LogSum ? 1 : -24, 24), pick(0, 63), sign(0, 1);
  dispatch_float(dtype, "reduce_input", [&]<typename T>() {
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v;
      if (op == ReduceOp::Prod) {
        const int p = pick(rng);
        v = (sign(rng) ? -1.0 : 1.0) * (p == 0 ? 0.5 : p == 1 ? 2.0 : 1.0);
      } else {
        int k = eighths(rng);
        if (k == 0) k = 4;
        v = k / 8.0;
      }
      t.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(v));
    }
  });
  return t;
}

// The CPU op with keepdims=1: its output holds the kept axes in order, as the launcher writes them.
Tensor cpu_reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes) {
  OpTest t(cuda::reduce_op_name(op), 13);
  t.input("x", x);
  if (op == ReduceOp::Sum) t.constant_input("axes", make_tensor<int64_t>({static_cast<int64_t>(axes.size())}, axes));
  else t.attr("axes", axes);
  return t.attr("keepdims", int64_t{1}).output("y").run()[0];
}

Shape kept_shape(const Shape& shape, const std::vector<int64_t>& axes) {
  Shape out = shape;
  for (int64_t a : axes) out[static_cast<size_t>(a)] = 1;
  return out;
}

Tensor gpu_reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes, int64_t offset, cudaStream_t stream) {
  const Shape out = kept_shape(x.shape(), axes);
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(x.dtype(), shape_numel(out), stream, offset);
  cuda::launch_reduce(op, x.dtype(), dx.data, x.shape(), axes, dy.data, stream);
  return download(dy.data, x.dtype(), out, stream);
}

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> axes;
  int64_t offset = 0;  // elements both device pointers are shifted by
};

const ReduceCase kCases[] = {
    {{37}, {0}},                   // one warp row
    {{5, 7}, {1}},                 // short rows: a thread per output
    {{5, 7}, {0}},                 // short column axis: a thread per output
    {{6, 100}, {1}},               // warp rows
    {{3, 45, 7}, {1}},             // column tiles
    {{3, 45, 70}, {1}},            // column tiles, more than 32 columns
    {{2, 5000, 3}, {1}},           // column tiles, long axis
    {{3, 45, 7}, {0, 2}},          // non-adjacent axes, innermost reduced: a warp per output
    {{2, 3, 4, 5}, {1, 3}},        // same, four dimensions
    {{2, 3, 4, 5}, {0, 2}},        // non-adjacent axes, innermost kept: a thread per output
    {{4, 3, 2, 5, 3}, {0, 2, 4}},  // three reduced runs
    {{3, 45, 7}, {0, 1, 2}},       // everything
    {{4, 1, 6}, {1}},              // a unit axis: nothing is reduced
    {{1}, {0}},
    {{}, {}},                      // rank 0
    {{6, 5000}, {1}},              // block rows of 256
    {{2, 20000}, {1}},             // block rows of 512
    {{1, 70000}, {1}},             // block rows of 1024
    {{9, 1031}, {1}, 1},           // unaligned rows: scalar head and tail around the packs
    {{5, 100}, {1}, 1},
    {{3, 0, 4}, {1}},              // empty reduction: the identity
    {{0, 4}, {1}},                 // empty output
    {{3, 0, 4}, {0}},              // empty output
};

std::string describe(ReduceOp op, DType dtype, const ReduceCase& c) {
  return std::string(cuda::reduce_op_name(op)) + " " + dtype_name(dtype) + " " + shape_to_string(c.shape) + " axes " +
         shape_to_string(c.axes) + (c.offset ? " unaligned" : "");
}

void check_reduce(ReduceOp op, DType dtype, const ReduceCase& c, unsigned seed, cudaStream_t stream) {
  const Tensor x = dtype_is_float(dtype) ? reduce_input(op, dtype, c.shape, seed)
                                         : random_tensor(dtype, c.shape, seed, -20.0, 20.0);
  const Shape out = kept_shape(c.shape, c.axes);
  const Tensor want = shape_numel(out) ? cpu_reduce(op, x, c.axes) : Tensor(dtype, out);
  expect_all_close(gpu_reduce(op, x, c.axes, c.offset, stream), want, describe(op, dtype, c));
}

class CudaReduce : public GpuParamTest<std::tuple<ReduceOp, DType>> {};

TEST_P(CudaReduce, MatchesCpu) {
  const auto [op, dtype] = GetParam();
  unsigned seed = 1;
  for (const ReduceCase& c : kCases) check_reduce(op, dtype, c, seed++, stream());
}

// More outputs than one pass of the grid covers, on each path: warp rows, column tiles, a thread
// per output.
TEST_P(CudaReduce, LargeTensor) {
  const auto [op, dtype] = GetParam();
  unsigned seed = 50;
  for (const ReduceCase& c : {ReduceCase{{20000, 40}, {1}}, ReduceCase{{5000, 20, 3}, {1}}, ReduceCase{{600000, 2}, {1}},
                              ReduceCase{{300, 4, 500, 3}, {1, 3}}})
    check_reduce(op, dtype, c, seed++, stream());
}

// Few long rows split across blocks through the workspace overload, on every op and dtype.
// Products get +-1 only: half a million factors of 0.5 or 2 leave float's range in partial
// products that the two backends group differently. Rows stay short enough that the CPU's eight
// float32 partial sums of squares stay below 2^18, where multiples of 1/64 still add exactly.
TEST_P(CudaReduce, LongRowsSplitWithWorkspace) {
  const auto [op, dtype] = GetParam();
  unsigned seed = 90;
  for (const ReduceCase& c : {ReduceCase{{600001}, {0}}, ReduceCase{{3, 200000}, {1}},
                              ReduceCase{{2, 3, 70001}, {0, 1, 2}}, ReduceCase{{100, 70000}, {1}},
                              ReduceCase{{2, 100003}, {1}, 1}}) {
    Tensor x = dtype_is_float(dtype) ? reduce_input(op, dtype, c.shape, seed++)
                                     : random_tensor(dtype, c.shape, seed++, -20.0, 20.0);
    if (op == ReduceOp::Prod && dtype_is_float(dtype)) {
      dispatch_float(dtype, "test", [&]<typename T>() {
        for (int64_t i = 0; i < x.numel(); ++i) {
          const bool negative = static_cast<compute_t<T>>(x.data<T>()[i]) < 0;
          x.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(negative ? -1.0 : 1.0));
        }
      });
    }
    const size_t bytes = cuda::reduce_workspace_bytes(op, dtype, c.shape, c.axes);
    EXPECT_GT(bytes, 0u) << describe(op, dtype, c);
    const Shape out = kept_shape(c.shape, c.axes);
    DeviceTensor dx = upload(x, stream(), c.offset);
    DeviceTensor dy = poisoned(dtype, shape_numel(out), stream(), c.offset);
    DeviceTensor ws = poisoned(DType::UInt8, static_cast<int64_t>(bytes), stream());
    cuda::launch_reduce(op, dtype, dx.data, c.shape, c.axes, dy.data, ws.data, bytes, stream());
    expect_all_close(download(dy.data, dtype, out, stream()), cpu_reduce(op, x, c.axes), describe(op, dtype, c) + " split");
  }
}

std::string reduce_name(const ::testing::TestParamInfo<std::tuple<ReduceOp, DType>>& info) {
  return std::string(cuda::reduce_op_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, CudaReduce,
                         ::testing::Combine(::testing::ValuesIn(kAllOps), ::testing::ValuesIn(kFloatTypes)), reduce_name);
INSTANTIATE_TEST_SUITE_P(IntTypes, CudaReduce,
                         ::testing::Combine(::testing::ValuesIn(kIntOps), ::testing::Values(DType::Int32, DType::Int64)),
                         reduce_name);

class CudaReduceSpecial : public GpuParamTest<DType> {};

// LogSumExp in float64 over x (float dtype) reduced over `axes` into the kept shape: NaN if any
// element is NaN, else +inf if one is +inf, else max + log(sum(exp(v - max))) (-inf when every
// element is -inf).
Tensor log_sum_exp_reference(const Tensor& x, const std::vector<int64_t>& axes) {
  const Shape& shape = x.shape();
  const Shape out_shape = kept_shape(shape, axes);
  const int64_t outputs = shape_numel(out_shape);
  const std::vector<double> v = to_doubles(x);
  std::vector<std::vector<double>> groups(static_cast<size_t>(outputs));
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rest = i, o = 0, o_stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      const int64_t idx = rest % shape[d];
      rest /= shape[d];
      if (out_shape[d] != 1) o += idx * o_stride;
      o_stride *= out_shape[d];
    }
    groups[static_cast<size_t>(o)].push_back(v[static_cast<size_t>(i)]);
  }
  Tensor y(x.dtype(), out_shape);
  dispatch_float(x.dtype(), "log_sum_exp_reference", [&]<typename T>() {
    for (size_t o = 0; o < groups.size(); ++o) {
      double m = -std::numeric_limits<double>::infinity(), r;
      bool nan = false;
      for (double e : groups[o]) {
        nan = nan || std::isnan(e);
        m = std::max(m, e);
      }
      if (nan) {
        r = std::nan("");
      } else if (std::isinf(m)) {
        r = m;
      } else {
        double sum = 0;
        for (double e : groups[o]) sum += std::exp(e - m);
        r = m + std::log(sum);
      }
      y.data<T>()[o] = static_cast<T>(static_cast<compute_t<T>>(r));
    }
  });
  return y;
}

// NaN wins Max and Min and spreads through sums; infinities stay infinite; LogSumExp keeps -inf
// elements out, gives NaN for a NaN and +inf for a +inf. Outputs on every path. The CPU is the
// reference, except for LogSumExp: its contiguous-row path merges partial results with
// exp(inf - inf) and so turns a +inf into NaN, which its other paths do not.
TEST_P(CudaReduceSpecial, NanAndInfinityMatchCpu) {
  const DType dtype = GetParam();
  const double inf = std::numeric_limits<double>::infinity();
  for (const ReduceCase& c : {ReduceCase{{6, 40}, {1}}, ReduceCase{{6, 5000}, {1}}, ReduceCase{{2, 40, 3}, {1}},
                              ReduceCase{{6, 4, 10}, {0, 2}}}) {
    Tensor x = random_float(dtype, c.shape, 61);
    auto set = [&](int64_t at, double v) {
      dispatch_float(dtype, "test", [&]<typename T>() { x.data<T>()[at] = static_cast<T>(static_cast<compute_t<T>>(v)); });
    };
    set(3, std::nan(""));
    set(x.numel() / 2, inf);
    set(x.numel() / 2 + 7, -inf);
    set(x.numel() - 2, -inf);
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::L1})
      expect_all_close(gpu_reduce(op, x, c.axes, 0, stream()), cpu_reduce(op, x, c.axes),
                       describe(op, dtype, c) + " special");
    expect_all_close(gpu_reduce(ReduceOp::LogSumExp, x, c.axes, 0, stream()), log_sum_exp_reference(x, c.axes),
                     describe(ReduceOp::LogSumExp, dtype, c) + " special");
    // A reduction holding only -inf, and one holding -inf and +inf.
    Tensor y = x.clone();
    dispatch_float(dtype, "test", [&]<typename T>() {
      for (int64_t i = 0; i < y.numel(); ++i)
        y.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(i % 97 == 0 ? inf : -inf));
    });
    expect_all_close(gpu_reduce(ReduceOp::LogSumExp, y, c.axes, 0, stream()), log_sum_exp_reference(y, c.axes),
                     describe(ReduceOp::LogSumExp, dtype, c) + " infinities");
  }
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, CudaReduceSpecial, ::testing::ValuesIn(kFloatTypes),
                         [](const ::testing::TestParamInfo<DType>& info) { return std::string(dtype_name(info.param)); });

class CudaReduceErrors : public GpuTest {};

TEST_F(CudaReduceErrors, BadAxesAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape shape{4, 4, 4};
  for (const std::vector<int64_t>& axes : {std::vector<int64_t>{1, 0}, std::vector<int64_t>{0, 0},
                                           std::vector<int64_t>{3}, std::vector<int64_t>{-1}})
    expect_error(ErrorCode::InvalidArgument,
                 [&] { cuda::launch_reduce(ReduceOp::Sum, DType::Float32, d.data, shape, axes, d.data, stream()); },
                 "axes " + shape_to_string(axes));
}

TEST_F(CudaReduceErrors, UnsupportedDtypesAreRefused) {
  DeviceTensor d = poisoned(DType::Int64, 64, stream());
  const Shape shape{4, 4};
  const std::vector<int64_t> axes{1};
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_reduce(ReduceOp::L2, DType::Int32, d.data, shape, axes, d.data, stream()); }, "L2 int32");
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_reduce(ReduceOp::LogSumExp, DType::Int64, d.data, shape, axes, d.data, stream()); },
               "LogSumExp int64");
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_reduce(ReduceOp::Sum, DType::Int8, d.data, shape, axes, d.data, stream()); }, "Sum int8");
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_reduce(ReduceOp::Sum, DType::Float64, d.data, shape, axes, d.data, stream()); },
               "Sum float64");
}

// Only few long contiguous rows use scratch; too little of it is refused.
TEST_F(CudaReduceErrors, WorkspaceSizes) {
  const Shape many_rows{300, 70000}, short_rows{5, 100}, columns{2, 100000, 3}, few_long{3, 100000};
  const std::vector<int64_t> last{1};
  EXPECT_EQ(cuda::reduce_workspace_bytes(ReduceOp::Sum, DType::Float32, many_rows, last), 0u);
  EXPECT_EQ(cuda::reduce_workspace_bytes(ReduceOp::Sum, DType::Float32, short_rows, last), 0u);
  EXPECT_EQ(cuda::reduce_workspace_bytes(ReduceOp::Sum, DType::Float32, columns, last), 0u);
  const size_t bytes = cuda::reduce_workspace_bytes(ReduceOp::Sum, DType::Float32, few_long, last);
  ASSERT_GT(bytes, 0u);
  DeviceTensor d = poisoned(DType::Float32, 300000, stream());
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_reduce(ReduceOp::Sum, DType::Float32, d.data, few_long, last, d.data, d.data, bytes - 8,
                                     stream());
               },
               "workspace too small");
}

// Alternating kept and reduced axes beyond kMaxReduceRuns runs of each.
TEST_F(CudaReduceErrors, TooManyRunsAreUnsupported) {
  DeviceTensor d = poisoned(DType::Float32, 1 << 18, stream());
  const Shape shape(2 * (cuda::kMaxReduceRuns + 1), 2);
  std::vector<int64_t> axes;
  for (int64_t a = 0; a < static_cast<int64_t>(shape.size()); a += 2) axes.push_back(a);
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_reduce(ReduceOp::Sum, DType::Float32, d.data, shape, axes, d.data, stream()); },
               "alternating axes");
}

// ---- ArgMax / ArgMin ----

// Multiples of 1/4 in [-3, 3]: few distinct values, so most rows have ties and the index rule
// (first or last) is exercised everywhere.
Tensor arg_input(DType dtype, const Shape& shape, unsigned seed) {
  Tensor t(dtype, shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> quarters(-12, 12);
  dispatch_numeric(dtype, "arg_input", [&]<typename T>() {
    for (int64_t i = 0; i < t.numel(); ++i) {
      int q = quarters(rng);
      if (q == 0) q = 1;
      if constexpr (std::is_integral_v<T>) t.data<T>()[i] = static_cast<T>(q);
      else t.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(q / 4.0));
    }
  });
  return t;
}

struct ArgCase {
  Shape shape;
  int64_t axis;
  int64_t offset = 0;
};

const ArgCase kArgCases[] = {
    {{37}, 0},        {{5, 7}, 1},       {{5, 7}, 0},        {{3, 45, 7}, 1},   {{3, 45, 70}, 1},
    {{6, 1, 4}, 1},   {{6, 4000}, 1},    {{3, 51866}, 1},    {{2, 70000}, 1},   {{2, 5000, 3}, 1},
    {{9, 1031}, 1, 1}, {{0, 5}, 1},      {{5, 0}, 0},        {{1}, 0},
};

Tensor cpu_arg(bool is_max, bool last, const Tensor& x, int64_t axis) {
  return OpTest(is_max ? "ArgMax" : "ArgMin", 13)
      .input("x", x).attr("axis", axis).attr("keepdims", int64_t{1}).attr("select_last_index", int64_t{last})
      .output("y").run()[0];
}

Tensor gpu_arg(bool is_max, bool last, const Tensor& x, int64_t axis, int64_t offset, cudaStream_t stream) {
  const auto [outer, n, inner] = split_at_axis(x.shape(), axis);
  Shape out = x.shape();
  out[static_cast<size_t>(axis)] = 1;
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(DType::Int64, shape_numel(out), stream, offset);
  cuda::launch_arg_reduce(is_max, x.dtype(), dx.data, outer, n, inner, last, static_cast<int64_t*>(dy.data), stream);
  return download(dy.data, DType::Int64, out, stream);
}

class CudaArgReduce : public GpuParamTest<std::tuple<bool, bool, DType>> {};

TEST_P(CudaArgReduce, MatchesCpu) {
  const auto [is_max, last, dtype] = GetParam();
  unsigned seed = 1;
  for (const ArgCase& c : kArgCases) {
    const Tensor x = arg_input(dtype, c.shape, seed++);
    Shape out = c.shape;
    out[static_cast<size_t>(c.axis)] = 1;
    const Tensor want = shape_numel(out) ? cpu_arg(is_max, last, x, c.axis) : Tensor(DType::Int64, out);
    expect_all_close(gpu_arg(is_max, last, x, c.axis, c.offset, stream()), want,
                     std::string(is_max ? "ArgMax " : "ArgMin ") + dtype_name(dtype) + " " + shape_to_string(c.shape) +
                         " axis " + std::to_string(c.axis) + (last ? " last" : "") + (c.offset ? " unaligned" : ""));
  }
}

class CudaArgReduceNan : public GpuParamTest<std::tuple<bool, bool, DType>> {};

// NaNs beat every number and the first one wins, whichever index rule is asked for.
TEST_P(CudaArgReduceNan, MatchesCpu) {
  const auto [is_max, last, dtype] = GetParam();
  for (const ArgCase& c : {ArgCase{{6, 40}, 1}, ArgCase{{6, 5000}, 1}, ArgCase{{2, 40, 3}, 1}}) {
    Tensor x = arg_input(dtype, c.shape, 71);
    const auto [outer, n, inner] = split_at_axis(c.shape, c.axis);
    auto set_nan = [&](int64_t row, int64_t k) {
      const int64_t at = (row / inner) * n * inner + k * inner + row % inner;
      dispatch_float(dtype, "test",
                     [&]<typename T>() { x.data<T>()[at] = static_cast<T>(static_cast<compute_t<T>>(std::nan(""))); });
    };
    set_nan(0, n - 1);
    set_nan(1, 3);
    set_nan(1, n / 2);
    set_nan(2, 0);
    expect_all_close(gpu_arg(is_max, last, x, c.axis, 0, stream()), cpu_arg(is_max, last, x, c.axis),
                     std::string(is_max ? "ArgMax " : "ArgMin ") + dtype_name(dtype) + " " + shape_to_string(c.shape) +
                         " with NaN" + (last ? " last" : ""));
  }
}

// More rows and column tiles than one pass of the grid covers.
TEST_P(CudaArgReduce, LargeTensor) {
  const auto [is_max, last, dtype] = GetParam();
  for (const ArgCase& c : {ArgCase{{20000, 50}, 1}, ArgCase{{5000, 20, 3}, 1}}) {
    const Tensor x = arg_input(dtype, c.shape, 81);
    expect_all_close(gpu_arg(is_max, last, x, c.axis, 0, stream()), cpu_arg(is_max, last, x, c.axis),
                     std::string("large ") + dtype_name(dtype) + " " + shape_to_string(c.shape));
  }
}

std::string arg_name(const ::testing::TestParamInfo<std::tuple<bool, bool, DType>>& info) {
  return std::string(std::get<0>(info.param) ? "ArgMax_" : "ArgMin_") + (std::get<1>(info.param) ? "last_" : "first_") +
         dtype_name(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaArgReduce,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(DType::Float32, DType::Float16, DType::BFloat16,
                                                              DType::Int32, DType::Int64)),
                         arg_name);
INSTANTIATE_TEST_SUITE_P(FloatTypes, CudaArgReduceNan,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::ValuesIn(kFloatTypes)),
                         arg_name);

TEST_F(CudaReduceErrors, ArgOfAnEmptyAxisIsRefused) {
  DeviceTensor d = poisoned(DType::Int64, 8, stream());
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_arg_reduce(true, DType::Float32, d.data, 2, 0, 3, false, static_cast<int64_t*>(d.data),
                                         stream());
               },
               "ArgMax over an empty axis");
  expect_error(ErrorCode::Unsupported,
               [&] {
                 cuda::launch_arg_reduce(true, DType::Int8, d.data, 2, 4, 1, false, static_cast<int64_t*>(d.data), stream());
               },
               "ArgMax of int8");
}

}  // namespace

}  // namespace lre::test
