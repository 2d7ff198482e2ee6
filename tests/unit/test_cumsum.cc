// CumSum against loops: every exclusive/reverse combination on a middle axis, integers, a wide
// strided axis, and invalid axes.
#include "op_test_util.h"

namespace lre::test {

namespace {

std::vector<double> cumsum_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      double acc = 0;
      for (int64_t s = 0; s < n; ++s) {
        int64_t t = reverse ? n - 1 - s : s;
        size_t at = static_cast<size_t>((o * n + t) * inner + j);
        if (exclusive) {
          y[at] = acc;
          acc += x[at];
        } else {
          acc += x[at];
          y[at] = acc;
        }
      }
    }
  return y;
}

}  // namespace

TEST(CumSum, ExclusiveAndReverse) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 1);
  for (int exclusive : {0, 1})
    for (int reverse : {0, 1}) {
      SCOPED_TRACE(std::to_string(exclusive) + std::to_string(reverse));
      auto out = OpTest("CumSum", 14).input("x", x).input("axis", make_tensor<int32_t>({}, {-2})).attr("exclusive", exclusive)
                     .attr("reverse", reverse).output("y").run();
      expect_close(out[0], cumsum_ref(to_doubles(x), 3, 5, 7, exclusive, reverse), 1e-5, 1e-6);
    }
}

TEST(CumSum, IntegersAndWideAxes) {
  Tensor x = random_tensor(DType::Int64, {9, 5}, 2, -100, 100);
  auto out = OpTest("CumSum", 11).input("x", x).input("axis", make_tensor<int64_t>({}, {1})).output("y").run();
  expect_close(out[0], cumsum_ref(to_doubles(x), 9, 5, 1, false, false), 0, 0);
  Tensor w = random_tensor(DType::Float64, {4, 1030}, 3);
  out = OpTest("CumSum", 14).input("x", w).input("axis", make_tensor<int64_t>({1}, {0})).attr("reverse", 1).output("y").run();
  expect_close(out[0], cumsum_ref(to_doubles(w), 1, 4, 1030, false, true), 1e-12, 1e-12);
}

TEST(CumSum, RejectsBadAxis) {
  Tensor x = random_tensor(DType::Float32, {2, 3}, 4);
  EXPECT_THROW(OpTest("CumSum", 14).input("x", x).input("axis", make_tensor<int64_t>({}, {2})).output("y").run(), Error);
  EXPECT_THROW(OpTest("CumSum", 14).input("x", x).input("axis", make_tensor<int64_t>({2}, {0, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("CumSum", 14).input("x", x).input("axis", make_tensor<float>({}, {0})).output("y").run(), Error);
}

}  // namespace lre::test
