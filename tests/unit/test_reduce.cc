// The ten Reduce ops against a float64 reference that gathers every output's values: axes given
// as attribute or (ReduceSum 13+) as input, keepdims, negative and empty axes, integer dtypes,
// both kernel paths (contiguous runs and column blocks), and invalid axes.
#include <algorithm>
#include <limits>

#include "op_test_util.h"

namespace lre::test {

namespace {

// Output values of reducing x (shape) over `axes` (all when empty) with op, in output order.
std::vector<double> reduce_ref(const std::vector<double>& x, const Shape& shape, std::vector<int64_t> axes,
                               const std::string& op) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> red(shape.size(), axes.empty());
  for (int64_t a : axes) red[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  Shape out_shape;
  for (size_t d = 0; d < shape.size(); ++d) out_shape.push_back(red[d] ? 1 : shape[d]);
  std::vector<std::vector<double>> groups(static_cast<size_t>(shape_numel(out_shape)));
  std::vector<int64_t> idx(shape.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d) o = o * out_shape[d] + (red[d] ? 0 : idx[d]);
    groups[static_cast<size_t>(o)].push_back(x[i]);
    for (size_t d = shape.size(); d-- > 0;)
      if (++idx[d] < shape[d]) break;
      else idx[d] = 0;
  }
  std::vector<double> y;
  for (const auto& g : groups) {
    double v = 0;
    if (op == "Sum" || op == "Mean") {
      for (double e : g) v += e;
      if (op == "Mean") v /= static_cast<double>(g.size());
    } else if (op == "Prod") {
      v = 1;
      for (double e : g) v *= e;
    } else if (op == "Max") {
      v = *std::max_element(g.begin(), g.end());
    } else if (op == "Min") {
      v = *std::min_element(g.begin(), g.end());
    } else if (op == "L1") {
      for (double e : g) v += std::fabs(e);
    } else if (op == "L2" || op == "SumSquare") {
      for (double e : g) v += e * e;
      if (op == "L2") v = std::sqrt(v);
    } else if (op == "LogSum") {
      for (double e : g) v += e;
      v = std::log(v);
    } else if (op == "LogSumExp") {
      for (double e : g) v += std::exp(e);
      v = std::log(v);
    }
    y.push_back(v);
  }
  return y;
}

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& axes, bool keepdims) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    bool r = axes.empty() || std::find_if(axes.begin(), axes.end(), [&](int64_t a) {
                               return (a < 0 ? a + static_cast<int64_t>(s.size()) : a) == d;
                             }) != axes.end();
    if (!r) out.push_back(s[static_cast<size_t>(d)]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

const char* kOps[] = {"Sum", "Mean", "Max", "Min", "Prod", "L1", "L2", "LogSum", "LogSumExp", "SumSquare"};

}  // namespace

TEST(Reduce, EveryOpOverAttributeAxes) {
  const Shape shape{3, 5, 7};
  // Positive inputs keep LogSum defined; values near 1 keep Prod in range.
  Tensor x = random_tensor(DType::Float32, shape, 1, 0.5, 1.5);
  const std::vector<std::vector<int64_t>> axes_cases{{0, 2}, {1}, {-1}, {}, {0, 1, 2}};
  for (const char* op : kOps)
    for (const auto& axes : axes_cases)
      for (int keep : {0, 1}) {
        SCOPED_TRACE(std::string(op) + " axes " + shape_to_string(axes) + " keepdims " + std::to_string(keep));
        OpTest t(std::string("Reduce") + op, 11);
        t.input("x", x).attr("keepdims", keep).output("y");
        if (!axes.empty()) t.attr("axes", axes);
        auto out = t.run();
        EXPECT_EQ(out[0].shape(), reduced_shape(shape, axes, keep));
        expect_close(out[0], reduce_ref(to_doubles(x), shape, axes, op), 1e-5, 1e-6);
      }
}

TEST(Reduce, ColumnBlocksAndLongRuns) {
  const Shape shape{3, 9, 1100};
  Tensor x = random_tensor(DType::Float32, shape, 2, -2, 2);
  for (const std::vector<int64_t>& axes : {std::vector<int64_t>{1}, std::vector<int64_t>{0, 1}, std::vector<int64_t>{2},
                                           std::vector<int64_t>{0, 2}}) {
    for (const char* op : {"Sum", "Max", "LogSumExp"}) {
      SCOPED_TRACE(std::string(op) + " axes " + shape_to_string(axes));
      auto out = OpTest(std::string("Reduce") + op, 11).input("x", x).attr("axes", axes).output("y").run();
      expect_close(out[0], reduce_ref(to_doubles(x), shape, axes, op), 1e-5, 1e-4);
    }
  }
}

TEST(ReduceSum, AxesInputFromOpset13) {
  const Shape shape{4, 3, 5};
  Tensor x = random_tensor(DType::Float32, shape, 3);
  auto out = OpTest("ReduceSum", 13).input("x", x).input("axes", make_tensor<int64_t>({2}, {0, -1})).attr("keepdims", 0).output("y").run();
  EXPECT_EQ(out[0].shape(), Shape{3});
  expect_close(out[0], reduce_ref(to_doubles(x), shape, {0, 2}, "Sum"));
  out = OpTest("ReduceSum", 13).input("x", x).output("y").run();  // no axes input: everything
  EXPECT_EQ(out[0].shape(), (Shape{1, 1, 1}));
  expect_close(out[0], reduce_ref(to_doubles(x), shape, {}, "Sum"));
  Tensor none(DType::Int64, {0});
  out = OpTest("ReduceSum", 13).input("x", x).input("axes", none).attr("noop_with_empty_axes", 1).output("y").run();
  EXPECT_EQ(out[0].shape(), shape);
  expect_close(out[0], to_doubles(x), 0, 0);
}

TEST(ReduceSum, IntegersWrapLikeTheType) {
  Tensor x = make_tensor<int32_t>({2, 3}, {2147483647, 1, 5, -7, 3, 2});
  auto out = OpTest("ReduceSum", 13).input("x", x).input("axes", make_tensor<int64_t>({1}, {1})).output("y").run();
  EXPECT_EQ(out[0].dtype(), DType::Int32);
  EXPECT_EQ(out[0].data<int32_t>()[0], std::numeric_limits<int32_t>::min() + 5);
  EXPECT_EQ(out[0].data<int32_t>()[1], -2);
}

TEST(ReduceMean, IntegerTruncatesAndDoubleIsExact) {
  Tensor x = make_tensor<int64_t>({2, 3}, {1, 2, 2, -1, -2, -2});
  auto out = OpTest("ReduceMean", 13).input("x", x).attr("axes", std::vector<int64_t>{1}).output("y").run();
  expect_close(out[0], {1, -1}, 0, 0);
  Tensor d = random_tensor(DType::Float64, {3, 7}, 4);
  out = OpTest("ReduceMean", 13).input("x", d).attr("axes", std::vector<int64_t>{0}).output("y").run();
  expect_close(out[0], reduce_ref(to_doubles(d), {3, 7}, {0}, "Mean"), 1e-12, 1e-15);
}

TEST(ReduceMax, IntegersAndHalf) {
  Tensor x = random_tensor(DType::UInt8, {5, 9}, 5, 0, 255);
  auto out = OpTest("ReduceMax", 13).input("x", x).attr("axes", std::vector<int64_t>{0}).output("y").run();
  expect_close(out[0], reduce_ref(to_doubles(x), {5, 9}, {0}, "Max"), 0, 0);
  Tensor h = random_tensor(DType::Float16, {5, 9}, 6);
  out = OpTest("ReduceMin", 13).input("x", h).attr("axes", std::vector<int64_t>{1}).output("y").run();
  expect_close(out[0], reduce_ref(to_doubles(h), {5, 9}, {1}, "Min"), 0, 0);
}

TEST(Reduce, RejectsBadAxes) {
  Tensor x = random_tensor(DType::Float32, {2, 3}, 7);
  EXPECT_THROW(OpTest("ReduceMean", 13).input("x", x).attr("axes", std::vector<int64_t>{2}).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReduceMean", 13).input("x", x).attr("axes", std::vector<int64_t>{1, -1}).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReduceSum", 13).input("x", x).input("axes", make_tensor<int64_t>({1}, {-3})).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReduceSum", 13).input("x", x).attr("axes", std::vector<int64_t>{0}).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReduceSum", 13).input("x", x).input("axes", make_tensor<float>({1}, {0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReduceMax", 13).input("x", random_tensor(DType::Bool, {2, 3}, 8)).output("y").run(), Error);
}

}  // namespace lre::test
