// Softmax, LogSoftmax and Hardmax against float64 loops: one axis (opset 13), the 2-D coercion of
// older opsets, large inputs (stability), half precision, and invalid axes or dtypes.
#include <algorithm>

#include "op_test_util.h"

namespace lre::test {

namespace {

enum class Kind { Soft, LogSoft, Hard };

// Reference over x viewed as (outer, n, inner).
std::vector<double> softmax_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, Kind kind) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t k) { return static_cast<size_t>((o * n + k) * inner + j); };
      double m = x[at(0)];
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k)
        if (x[at(k)] > m) {
          m = x[at(k)];
          best = k;
        }
      double s = 0;
      for (int64_t k = 0; k < n; ++k) s += std::exp(x[at(k)] - m);
      for (int64_t k = 0; k < n; ++k) {
        if (kind == Kind::Soft) y[at(k)] = std::exp(x[at(k)] - m) / s;
        else if (kind == Kind::LogSoft) y[at(k)] = x[at(k)] - m - std::log(s);
        else y[at(k)] = k == best ? 1 : 0;
      }
    }
  return y;
}

}  // namespace

TEST(Softmax, AlongOneAxisOpset13) {
  Tensor x = random_tensor(DType::Float32, {3, 7, 5}, 1, -3, 3);
  auto out = OpTest("Softmax", 13).input("x", x).attr("axis", 1).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(x), 3, 7, 5, Kind::Soft), 1e-5, 1e-7);
  out = OpTest("Softmax", 13).input("x", x).output("y").run();  // default axis -1
  expect_close(out[0], softmax_ref(to_doubles(x), 21, 5, 1, Kind::Soft), 1e-5, 1e-7);
}

TEST(Softmax, LongRowsAndWideColumnsUseEveryPath) {
  Tensor rows = random_tensor(DType::Float32, {45, 1001}, 2, -20, 20);
  auto out = OpTest("Softmax", 13).input("x", rows).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(rows), 45, 1001, 1, Kind::Soft), 1e-5, 1e-9);
  Tensor cols = random_tensor(DType::Float32, {3, 37, 301}, 3, -20, 20);
  out = OpTest("Softmax", 13).input("x", cols).attr("axis", 1).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(cols), 3, 37, 301, Kind::Soft), 1e-5, 1e-9);
}

TEST(Softmax, CoercesTo2DBeforeOpset13) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 5}, 4);
  auto out = OpTest("Softmax", 11).input("x", x).output("y").run();  // default axis 1: rows of 15
  expect_close(out[0], softmax_ref(to_doubles(x), 2, 15, 1, Kind::Soft), 1e-5, 1e-7);
}

TEST(Softmax, LargeInputsStayFinite) {
  Tensor x = make_tensor<float>({2, 3}, {1000, 1001, 1002, -1000, -1e30f, 0});
  auto out = OpTest("Softmax", 13).input("x", x).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(x), 2, 3, 1, Kind::Soft), 1e-5, 1e-7);
}

TEST(Softmax, HalfAndDouble) {
  Tensor h = random_tensor(DType::Float16, {4, 9}, 5, -4, 4);
  auto out = OpTest("Softmax", 13).input("x", h).output("y").run();
  EXPECT_EQ(out[0].dtype(), DType::Float16);
  expect_close(out[0], softmax_ref(to_doubles(h), 4, 9, 1, Kind::Soft), 1e-2, 1e-3);
  Tensor d = random_tensor(DType::Float64, {3, 11}, 6, -4, 4);
  out = OpTest("Softmax", 13).input("x", d).attr("axis", 0).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(d), 1, 3, 11, Kind::Soft), 1e-12, 1e-15);
}

TEST(Softmax, RejectsBadAxisAndIntegers) {
  Tensor x = random_tensor(DType::Float32, {2, 3}, 7);
  EXPECT_THROW(OpTest("Softmax", 13).input("x", x).attr("axis", 2).output("y").run(), Error);
  EXPECT_THROW(OpTest("Softmax", 13).input("x", x).attr("axis", -3).output("y").run(), Error);
  EXPECT_THROW(OpTest("Softmax", 13).input("x", random_tensor(DType::Int32, {2, 3}, 8, -5, 5)).output("y").run(), Error);
}

TEST(LogSoftmax, MatchesReference) {
  Tensor x = random_tensor(DType::Float32, {5, 37}, 9, -10, 10);
  auto out = OpTest("LogSoftmax", 13).input("x", x).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(x), 5, 37, 1, Kind::LogSoft), 1e-5, 1e-5);
  Tensor y = random_tensor(DType::Float32, {3, 5, 7}, 10, -10, 10);
  out = OpTest("LogSoftmax", 13).input("x", y).attr("axis", -2).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(y), 3, 5, 7, Kind::LogSoft), 1e-5, 1e-5);
  out = OpTest("LogSoftmax", 9).input("x", y).attr("axis", 1).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(y), 3, 35, 1, Kind::LogSoft), 1e-5, 1e-5);
}

TEST(Hardmax, FirstMaximumWins) {
  Tensor x = make_tensor<float>({2, 4}, {1, 3, 3, 2, -1, -1, -1, -1});
  auto out = OpTest("Hardmax", 13).input("x", x).output("y").run();
  expect_close(out[0], {0, 1, 0, 0, 1, 0, 0, 0}, 0, 0);
  Tensor r = random_tensor(DType::Float32, {3, 5, 7}, 11);
  out = OpTest("Hardmax", 13).input("x", r).attr("axis", 1).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(r), 3, 5, 7, Kind::Hard), 0, 0);
  out = OpTest("Hardmax", 11).input("x", r).attr("axis", 1).output("y").run();
  expect_close(out[0], softmax_ref(to_doubles(r), 3, 35, 1, Kind::Hard), 0, 0);
}

}  // namespace lre::test
