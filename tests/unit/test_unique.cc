// Unique: the ONNX examples checked by hand, slices along an axis against a std::map reference,
// and re-running one context with data that changes the output size.
#include <map>

#include "op_test_util.h"

namespace lre::test {

TEST(Unique, FlatSortedAndUnsorted) {
  Tensor x = make_tensor<float>({6}, {2, 1, 1, 3, 4, 3});
  auto sorted = OpTest("Unique", 11).input("x", x).output("y").output("i").output("inv").output("n").run();
  expect_close(sorted[0], {1, 2, 3, 4}, 0, 0);
  expect_close(sorted[1], {1, 0, 3, 4}, 0, 0);
  expect_close(sorted[2], {1, 0, 0, 2, 3, 2}, 0, 0);
  expect_close(sorted[3], {2, 1, 2, 1}, 0, 0);
  auto unsorted =
      OpTest("Unique", 11).input("x", x).output("y").output("i").output("inv").output("n").attr("sorted", 0).run();
  expect_close(unsorted[0], {2, 1, 3, 4}, 0, 0);
  expect_close(unsorted[1], {0, 1, 3, 4}, 0, 0);
  expect_close(unsorted[2], {0, 1, 1, 2, 3, 2}, 0, 0);
  expect_close(unsorted[3], {1, 2, 2, 1}, 0, 0);
}

TEST(Unique, SlicesAlongAxisMatchReference) {
  // (3, 11, 2) with values in {0, 1}: many of the 11 slices along axis 1 repeat.
  Tensor x = random_tensor(DType::Int32, {3, 11, 2}, 41, 0, 2);
  for (int64_t axis : {1, -2}) {
    auto out =
        OpTest("Unique", 11).input("x", x).output("y").output("i").output("inv").output("n").attr("axis", axis).run();
    std::map<std::vector<int32_t>, std::vector<int64_t>> groups;  // slice -> occurrences, sorted lexicographically
    for (int64_t s = 0; s < 11; ++s) {
      std::vector<int32_t> key;
      for (int64_t o = 0; o < 3; ++o)
        for (int64_t e = 0; e < 2; ++e) key.push_back(x.data<int32_t>()[(o * 11 + s) * 2 + e]);
      groups[key].push_back(s);
    }
    const int64_t u = static_cast<int64_t>(groups.size());
    ASSERT_EQ(out[0].shape(), (Shape{3, u, 2}));
    std::vector<double> y(static_cast<size_t>(3 * u * 2)), first, inv(11), counts;
    int64_t g = 0;
    for (const auto& [key, occ] : groups) {
      for (int64_t o = 0; o < 3; ++o)
        for (int64_t e = 0; e < 2; ++e) y[(o * u + g) * 2 + e] = key[o * 2 + e];
      first.push_back(static_cast<double>(occ[0]));
      counts.push_back(static_cast<double>(occ.size()));
      for (int64_t s : occ) inv[s] = static_cast<double>(g);
      ++g;
    }
    expect_close(out[0], y, 0, 0);
    expect_close(out[1], first, 0, 0);
    expect_close(out[2], inv, 0, 0);
    expect_close(out[3], counts, 0, 0);
  }
}

TEST(Unique, OutputSizeFollowsDataAcrossRuns) {
  OpTest t("Unique", 11);
  t.input("x", make_tensor<int64_t>({7}, {5, 5, 5, 5, 5, 5, 5})).output("y").output("").output("").output("n");
  ExecutionContext ctx(t.engine(), {.threads = 2});
  auto one = ctx.run({{"x", make_tensor<int64_t>({7}, {5, 5, 5, 5, 5, 5, 5})}});
  expect_close(one[0], {5}, 0, 0);
  expect_close(one[1], {7}, 0, 0);
  auto many = ctx.run({{"x", make_tensor<int64_t>({7}, {9, -1, 9, 3, 8, 7, -1})}});
  expect_close(many[0], {-1, 3, 7, 8, 9}, 0, 0);
  expect_close(many[1], {2, 1, 1, 1, 2}, 0, 0);
  auto again = ctx.run({{"x", make_tensor<int64_t>({7}, {1, 2, 1, 2, 1, 2, 1})}});
  expect_close(again[0], {1, 2}, 0, 0);
}

TEST(Unique, RejectsBadAxis) {
  EXPECT_THROW(OpTest("Unique", 11).input("x", Tensor(DType::Float32, {2, 3})).output("y").attr("axis", 2).run(),
               Error);
  EXPECT_THROW(OpTest("Unique", 11).input("x", make_tensor<float>({}, {1})).output("y").attr("axis", 0).run(), Error);
}

}  // namespace lre::test
