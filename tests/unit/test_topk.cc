// TopK against a stable sort: largest and smallest, a strided axis, ties (lower index first), k
// from the attribute (opset 9) or the K input, and invalid k.
#include <algorithm>
#include <numeric>

#include "op_test_util.h"

namespace lre::test {

namespace {

// Values and indices of the top k along n of x (outer, n, inner), as (outer, k, inner).
void topk_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
              std::vector<double>& values, std::vector<double>& indices) {
  values.assign(static_cast<size_t>(outer * k * inner), 0);
  indices = values;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      auto at = [&](int64_t t) { return x[static_cast<size_t>((o * n + t) * inner + j)]; };
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return largest ? at(a) > at(b) : at(a) < at(b); });
      for (int64_t t = 0; t < k; ++t) {
        values[static_cast<size_t>((o * k + t) * inner + j)] = at(order[static_cast<size_t>(t)]);
        indices[static_cast<size_t>((o * k + t) * inner + j)] = static_cast<double>(order[static_cast<size_t>(t)]);
      }
    }
}

}  // namespace

TEST(TopK, LargestAndSmallestAlongAnAxis) {
  Tensor x = random_tensor(DType::Float32, {3, 11, 5}, 1);
  std::vector<double> v, i;
  for (int largest : {1, 0}) {
    auto out = OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {4})).attr("axis", 1).attr("largest", largest)
                   .output("v").output("i").run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 4, 5}));
    topk_ref(to_doubles(x), 3, 11, 5, 4, largest, v, i);
    expect_close(out[0], v, 0, 0);
    expect_close(out[1], i, 0, 0);
  }
}

TEST(TopK, TiesKeepIndexOrder) {
  Tensor x = random_tensor(DType::Int32, {4, 13}, 2, 0, 4);
  std::vector<double> v, i;
  auto out = OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {13})).output("v").output("i").run();
  topk_ref(to_doubles(x), 4, 13, 1, 13, true, v, i);
  expect_close(out[0], v, 0, 0);
  expect_close(out[1], i, 0, 0);
}

TEST(TopK, AttributeKBeforeOpset10AndOptionalOutputs) {
  Tensor x = random_tensor(DType::Float64, {7, 3}, 3);
  std::vector<double> v, i;
  topk_ref(to_doubles(x), 1, 7, 3, 2, true, v, i);
  auto out = OpTest("TopK", 9).input("x", x).attr("k", 2).attr("axis", 0).output("v").output("i").run();
  expect_close(out[0], v, 0, 0);
  expect_close(out[1], i, 0, 0);
  out = OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {2})).attr("axis", 0).output("").output("i").run();
  expect_close(out[0], i, 0, 0);
}

TEST(TopK, RejectsBadK) {
  Tensor x = random_tensor(DType::Float32, {2, 5}, 4);
  EXPECT_THROW(OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {6})).output("v").output("i").run(), Error);
  EXPECT_THROW(OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {-1})).output("v").output("i").run(), Error);
  EXPECT_THROW(OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({2}, {1, 2})).output("v").output("i").run(), Error);
  EXPECT_THROW(OpTest("TopK", 11).input("x", x).input("k", make_tensor<int64_t>({1}, {1})).attr("axis", 2).output("v").output("i").run(), Error);
}

}  // namespace lre::test
