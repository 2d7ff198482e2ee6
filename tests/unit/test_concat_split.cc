// Concat and Split: joining along any axis, and cutting by attribute, input, num_outputs or equal
// parts, checked against element-by-element references.
#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

// Elements of x whose coordinate along `axis` lies in [begin, end).
std::vector<double> take(const Tensor& x, size_t axis, int64_t begin, int64_t end) {
  std::vector<double> v = to_doubles(x), out;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = unravel(i, x.shape())[axis];
    if (c >= begin && c < end) out.push_back(v[static_cast<size_t>(i)]);
  }
  return out;
}

}  // namespace

TEST(Concat, JoinsAlongAnyAxis) {
  for (int64_t axis : {0, 1, -1}) {
    const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
    std::vector<Tensor> xs;
    const int64_t sizes[] = {3, 1, 5};
    Shape out_shape{7, 9, 11};
    out_shape[a] = 9;
    for (int k = 0; k < 3; ++k) {
      Shape s{7, 9, 11};
      s[a] = sizes[k];
      xs.push_back(random_tensor(DType::Int16, s, 10 + static_cast<unsigned>(k), -500, 500));
    }
    auto out = OpTest("Concat").input("a", xs[0]).input("b", xs[1]).input("c", xs[2]).attr("axis", axis).output("y").run();
    ASSERT_EQ(out[0].shape(), out_shape);
    std::vector<double> want;
    for (int64_t i = 0; i < shape_numel(out_shape); ++i) {
      auto o = unravel(i, out_shape);
      int k = 0;
      while (o[a] >= sizes[k]) o[a] -= sizes[k++];
      want.push_back(to_doubles(xs[static_cast<size_t>(k)])[static_cast<size_t>(ravel(o, xs[static_cast<size_t>(k)].shape()))]);
    }
    expect_close(out[0], want, 0, 0);
  }
}

TEST(Concat, RejectsMismatchedInputs) {
  Tensor a = random_tensor(DType::Float32, {3, 5}, 1), b = random_tensor(DType::Float32, {4, 6}, 2);
  EXPECT_THROW(OpTest("Concat").input("a", a).input("b", b).attr("axis", int64_t{0}).output("y").run(), Error);
  EXPECT_THROW(OpTest("Concat").input("a", a).input("b", a).attr("axis", int64_t{2}).output("y").run(), Error);
  EXPECT_THROW(OpTest("Concat").input("a", a).input("b", random_tensor(DType::Int32, {3, 5}, 3)).attr("axis", int64_t{0}).output("y").run(), Error);
}

TEST(Split, SizesFromAttributeInputAndEqualParts) {
  Tensor x = random_tensor(DType::Float32, {5, 13, 3}, 4);
  auto out = OpTest("Split", 11).input("x", x).attr("axis", int64_t{1}).attr("split", std::vector<int64_t>{2, 0, 11}).output("a").output("b").output("c").run();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].shape(), (Shape{5, 0, 3}));
  expect_close(out[0], take(x, 1, 0, 2), 0, 0);
  expect_close(out[2], take(x, 1, 2, 13), 0, 0);

  out = OpTest("Split", 13).input("x", x).constant_input("s", ints({4, 9})).attr("axis", int64_t{-2}).output("a").output("b").run();
  expect_close(out[0], take(x, 1, 0, 4), 0, 0);
  expect_close(out[1], take(x, 1, 4, 13), 0, 0);

  out = OpTest("Split", 13).input("x", x).output("a").output("b").output("c").output("d").output("e").run();
  for (int64_t k = 0; k < 5; ++k) expect_close(out[static_cast<size_t>(k)], take(x, 0, k, k + 1), 0, 0);
}

TEST(Split, NumOutputsGivesSmallerLastPiece) {
  Tensor x = random_tensor(DType::UInt8, {2, 11}, 5, 0, 200);
  auto out = OpTest("Split", 18).input("x", x).attr("axis", int64_t{1}).attr("num_outputs", int64_t{3}).output("a").output("b").output("c").run();
  EXPECT_EQ(out[0].shape(), (Shape{2, 4}));
  EXPECT_EQ(out[2].shape(), (Shape{2, 3}));
  expect_close(out[1], take(x, 1, 4, 8), 0, 0);
  expect_close(out[2], take(x, 1, 8, 11), 0, 0);
}

TEST(Split, RejectsBadSizes) {
  Tensor x = random_tensor(DType::Float32, {5, 13}, 6);
  EXPECT_THROW(OpTest("Split", 13).input("x", x).constant_input("s", ints({4, 8})).attr("axis", int64_t{1}).output("a").output("b").run(), Error);
  EXPECT_THROW(OpTest("Split", 13).input("x", x).constant_input("s", ints({13})).attr("axis", int64_t{1}).output("a").output("b").run(), Error);
  EXPECT_THROW(OpTest("Split", 13).input("x", x).attr("axis", int64_t{1}).output("a").output("b").run(), Error);
  EXPECT_THROW(OpTest("Split", 13).input("x", x).attr("axis", int64_t{2}).output("a").run(), Error);
}

}  // namespace lre::test
