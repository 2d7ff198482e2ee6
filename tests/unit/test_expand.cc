// Expand (two-way broadcast to a shape) and Tile (repeats per axis) against index references.
#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

}  // namespace

TEST(Expand, BroadcastsBothWays) {
  Tensor x = random_tensor(DType::Float32, {3, 1, 5}, 1);
  std::vector<double> v = to_doubles(x);
  auto out = OpTest("Expand").input("x", x).constant_input("s", ints({2, 1, 41, 1})).output("y").run();
  const Shape want_shape{2, 3, 41, 5};
  ASSERT_EQ(out[0].shape(), want_shape);
  std::vector<double> want;
  for (int64_t i = 0; i < shape_numel(want_shape); ++i) {
    auto o = unravel(i, want_shape);
    want.push_back(v[static_cast<size_t>(o[1] * 5 + o[3])]);
  }
  expect_close(out[0], want, 0, 0);

  Tensor h = random_tensor(DType::Float16, {7, 1}, 2);
  out = OpTest("Expand").input("x", h).constant_input("s", ints({7, 1001})).output("y").run();
  std::vector<double> hv = to_doubles(h), hw;
  for (int64_t r = 0; r < 7; ++r) hw.insert(hw.end(), 1001, hv[static_cast<size_t>(r)]);
  expect_close(out[0], hw, 0, 0);
}

TEST(Expand, RejectsIncompatibleShapes) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 3);
  EXPECT_THROW(OpTest("Expand").input("x", x).constant_input("s", ints({4, 5})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Expand").input("x", x).constant_input("s", ints({-2, 5})).output("y").run(), Error);
}

TEST(Tile, RepeatsEveryAxis) {
  Tensor x = random_tensor(DType::Int64, {3, 5, 7}, 4, -1000, 1000);
  std::vector<double> v = to_doubles(x);
  auto out = OpTest("Tile").input("x", x).constant_input("r", ints({2, 1, 3})).output("y").run();
  const Shape want_shape{6, 5, 21};
  ASSERT_EQ(out[0].shape(), want_shape);
  std::vector<double> want;
  for (int64_t i = 0; i < shape_numel(want_shape); ++i) {
    auto o = unravel(i, want_shape);
    want.push_back(v[static_cast<size_t>(ravel({o[0] % 3, o[1], o[2] % 7}, x.shape()))]);
  }
  expect_close(out[0], want, 0, 0);
  out = OpTest("Tile").input("x", x).constant_input("r", ints({1, 0, 2})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 0, 14}));
}

TEST(Tile, RejectsBadRepeats) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 5);
  EXPECT_THROW(OpTest("Tile").input("x", x).constant_input("r", ints({2})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Tile").input("x", x).constant_input("r", ints({2, -1})).output("y").run(), Error);
}

}  // namespace lre::test
