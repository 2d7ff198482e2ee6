// Reshape, Flatten, Squeeze, Unsqueeze, Shape and Size: shape rules per opset, data kept in order,
// and errors for shapes that cannot work.
#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

}  // namespace

TEST(Reshape, CopiesDimsAndInfersMinusOne) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 1);
  auto out = OpTest("Reshape").input("x", x).constant_input("s", ints({0, -1})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 35}));
  expect_close(out[0], to_doubles(x), 0, 0);

  Tensor i8 = random_tensor(DType::Int8, {3, 5, 7}, 2, -100, 100);
  out = OpTest("Reshape").input("x", i8).constant_input("s", ints({7, -1, 3})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{7, 5, 3}));
  expect_close(out[0], to_doubles(i8), 0, 0);
}

TEST(Reshape, AllowZeroKeepsZeros) {
  Tensor x(DType::Float32, {0, 3});
  auto out = OpTest("Reshape", 14).input("x", x).constant_input("s", ints({3, 0})).attr("allowzero", 1).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 0}));
  // Without allowzero the 0 copies the input's dimension instead.
  out = OpTest("Reshape", 14).input("x", x).constant_input("s", ints({0, 3})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{0, 3}));
}

TEST(Reshape, RejectsImpossibleShapes) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 3);
  EXPECT_THROW(OpTest("Reshape").input("x", x).constant_input("s", ints({-1, -1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Reshape").input("x", x).constant_input("s", ints({4, -1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Reshape").input("x", x).constant_input("s", ints({2, 7})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Reshape").input("x", x).constant_input("s", ints({15, 1, 0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Reshape", 14).input("x", x).constant_input("s", ints({0, -1})).attr("allowzero", 1).output("y").run(), Error);
}

TEST(Flatten, SplitsAtAxis) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7, 2}, 4);
  const std::vector<std::pair<int64_t, Shape>> cases = {{0, {1, 210}}, {2, {15, 14}}, {-1, {105, 2}}, {4, {210, 1}}};
  for (const auto& [axis, want] : cases) {
    auto out = OpTest("Flatten").input("x", x).attr("axis", axis).output("y").run();
    EXPECT_EQ(out[0].shape(), want) << "axis " << axis;
    expect_close(out[0], to_doubles(x), 0, 0);
  }
  EXPECT_THROW(OpTest("Flatten").input("x", x).attr("axis", int64_t{5}).output("y").run(), Error);
}

TEST(Squeeze, AxesAsAttributeAndInput) {
  Tensor x = random_tensor(DType::Float32, {1, 3, 1, 5, 1}, 5);
  auto out = OpTest("Squeeze", 11).input("x", x).attr("axes", std::vector<int64_t>{0, -1}).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 1, 5}));
  expect_close(out[0], to_doubles(x), 0, 0);
  out = OpTest("Squeeze", 13).input("x", x).constant_input("a", ints({2})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{1, 3, 5, 1}));
  out = OpTest("Squeeze", 13).input("x", x).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 5}));
  EXPECT_THROW(OpTest("Squeeze", 13).input("x", x).constant_input("a", ints({1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Squeeze", 11).input("x", x).attr("axes", std::vector<int64_t>{7}).output("y").run(), Error);
}

TEST(Unsqueeze, AxesAsAttributeAndInput) {
  Tensor x = random_tensor(DType::Int32, {3, 5}, 6, -50, 50);
  auto out = OpTest("Unsqueeze", 11).input("x", x).attr("axes", std::vector<int64_t>{0, -1}).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{1, 3, 5, 1}));
  expect_close(out[0], to_doubles(x), 0, 0);
  out = OpTest("Unsqueeze", 13).input("x", x).constant_input("a", ints({3, 1})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{3, 1, 5, 1}));
  EXPECT_THROW(OpTest("Unsqueeze", 13).input("x", x).constant_input("a", ints({1, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Unsqueeze", 13).input("x", x).constant_input("a", ints({4})).output("y").run(), Error);
}

TEST(Shape, StartAndEnd) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7, 2}, 7);
  auto out = OpTest("Shape").input("x", x).output("y").run();
  expect_close(out[0], {3, 5, 7, 2}, 0, 0);
  out = OpTest("Shape", 15).input("x", x).attr("start", int64_t{1}).attr("end", int64_t{-1}).output("y").run();
  expect_close(out[0], {5, 7}, 0, 0);
  out = OpTest("Shape", 15).input("x", x).attr("start", int64_t{-10}).attr("end", int64_t{10}).output("y").run();
  expect_close(out[0], {3, 5, 7, 2}, 0, 0);
  out = OpTest("Shape", 15).input("x", x).attr("start", int64_t{3}).attr("end", int64_t{1}).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{0}));
}

TEST(Size, CountsElements) {
  auto out = OpTest("Size").input("x", random_tensor(DType::UInt8, {3, 5, 7}, 8, 0, 9)).output("y").run();
  EXPECT_EQ(out[0].dtype(), DType::Int64);
  EXPECT_EQ(out[0].shape(), Shape{});
  expect_close(out[0], {105}, 0, 0);
}

}  // namespace lre::test
