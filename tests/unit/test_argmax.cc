// ArgMax and ArgMin against loops: axes, keepdims, ties with and without select_last_index, a
// strided axis wide enough for several column blocks, and invalid axes.
#include "op_test_util.h"

namespace lre::test {

namespace {

// Index along n of x (outer, n, inner) that wins; ties to the first, or the last with `last`.
std::vector<double> arg_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, bool largest, bool last) {
  std::vector<double> y;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k) {
        double v = x[static_cast<size_t>((o * n + k) * inner + j)], b = x[static_cast<size_t>((o * n + best) * inner + j)];
        if (largest ? (v > b || (last && v == b)) : (v < b || (last && v == b))) best = k;
      }
      y.push_back(static_cast<double>(best));
    }
  return y;
}

}  // namespace

TEST(ArgMax, AxesAndKeepdims) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 1);
  auto out = OpTest("ArgMax", 13).input("x", x).attr("axis", 1).output("y").run();
  EXPECT_EQ(out[0].dtype(), DType::Int64);
  EXPECT_EQ(out[0].shape(), (Shape{3, 1, 7}));
  expect_close(out[0], arg_ref(to_doubles(x), 3, 5, 7, true, false), 0, 0);
  out = OpTest("ArgMax", 13).input("x", x).attr("axis", -1).attr("keepdims", 0).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 5}));
  expect_close(out[0], arg_ref(to_doubles(x), 15, 7, 1, true, false), 0, 0);
  Tensor wide = random_tensor(DType::Float32, {2, 3, 601}, 2);
  out = OpTest("ArgMax", 11).input("x", wide).attr("axis", 1).output("y").run();
  expect_close(out[0], arg_ref(to_doubles(wide), 2, 3, 601, true, false), 0, 0);
}

TEST(ArgMax, TiesFirstOrLast) {
  Tensor x = random_tensor(DType::Int32, {4, 9, 3}, 3, 0, 3);  // few distinct values: many ties
  for (int last : {0, 1}) {
    auto out = OpTest("ArgMax", 13).input("x", x).attr("axis", 1).attr("select_last_index", last).output("y").run();
    expect_close(out[0], arg_ref(to_doubles(x), 4, 9, 3, true, last), 0, 0);
  }
}

TEST(ArgMin, TiesFirstOrLast) {
  Tensor x = random_tensor(DType::Int64, {5, 11}, 4, 0, 3);
  for (int last : {0, 1}) {
    auto out = OpTest("ArgMin", 13).input("x", x).attr("axis", 1).attr("select_last_index", last).output("y").run();
    expect_close(out[0], arg_ref(to_doubles(x), 5, 11, 1, false, last), 0, 0);
  }
  Tensor h = random_tensor(DType::Float16, {7, 3}, 5);
  auto out = OpTest("ArgMin", 13).input("x", h).output("y").run();  // default axis 0
  expect_close(out[0], arg_ref(to_doubles(h), 1, 7, 3, false, false), 0, 0);
}

TEST(ArgMax, RejectsBadAxis) {
  Tensor x = random_tensor(DType::Float32, {2, 3}, 6);
  EXPECT_THROW(OpTest("ArgMax", 13).input("x", x).attr("axis", 2).output("y").run(), Error);
  EXPECT_THROW(OpTest("ArgMin", 13).input("x", x).attr("axis", -3).output("y").run(), Error);
  EXPECT_THROW(OpTest("ArgMax", 13).input("x", Tensor(DType::Float32, {2, 0})).attr("axis", 1).output("y").run(), Error);
}

}  // namespace lre::test
