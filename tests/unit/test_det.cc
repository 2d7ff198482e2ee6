// Det against a float64 Laplace (cofactor) expansion, a method independent of the LU kernel.
#include "op_test_util.h"

namespace lre::test {

namespace {

double laplace_det(const std::vector<double>& a, int64_t m) {
  if (m == 0) return 1;
  if (m == 1) return a[0];
  double d = 0;
  for (int64_t col = 0; col < m; ++col) {
    std::vector<double> minor;
    for (int64_t i = 1; i < m; ++i)
      for (int64_t j = 0; j < m; ++j)
        if (j != col) minor.push_back(a[static_cast<size_t>(i * m + j)]);
    d += (col % 2 ? -1.0 : 1.0) * a[static_cast<size_t>(col)] * laplace_det(minor, m - 1);
  }
  return d;
}

}  // namespace

TEST(Det, BatchedMatchesCofactorExpansion) {
  for (int64_t m : {1, 3, 5}) {
    Tensor x = random_tensor(DType::Float32, {2, 3, m, m}, static_cast<unsigned>(m));
    auto y = OpTest("Det", 11).input("x", x).output("y").run();
    ASSERT_EQ(y[0].shape(), (Shape{2, 3}));
    std::vector<double> xs = to_doubles(x), want;
    for (int64_t b = 0; b < 6; ++b)
      want.push_back(laplace_det(std::vector<double>(xs.begin() + b * m * m, xs.begin() + (b + 1) * m * m), m));
    expect_close(y[0], want, 1e-4, 1e-6);
  }
}

TEST(Det, DoubleSingularAndPivoting) {
  // Row 3 = row 1 + row 2 (singular); the second needs a row swap (zero leading entry): det = -2.
  Tensor x = make_tensor<double>({2, 3, 3}, {1, 2, 3, 4, 5, 6, 5, 7, 9, 0, 1, 0, 2, 0, 0, 0, 0, 1});
  auto y = OpTest("Det", 11).input("x", x).output("y").run();
  ASSERT_EQ(y[0].dtype(), DType::Float64);
  expect_close(y[0], {0, -2}, 1e-12, 1e-12);
  auto two_d = OpTest("Det", 11).input("x", make_tensor<float>({2, 2}, {3, 1, 4, 2})).output("y").run();
  EXPECT_EQ(two_d[0].shape(), Shape{});
  expect_close(two_d[0], {2}, 1e-6, 1e-6);
}

TEST(Det, RejectsNonSquare) {
  EXPECT_THROW(OpTest("Det", 11).input("x", random_tensor(DType::Float32, {2, 3, 4}, 1)).output("y").run(), Error);
  EXPECT_THROW(OpTest("Det", 11).input("x", random_tensor(DType::Float32, {3}, 1)).output("y").run(), Error);
  EXPECT_THROW(OpTest("Det", 11).input("x", random_tensor(DType::Int32, {2, 2}, 1, -5, 5)).output("y").run(), Error);
}

}  // namespace lre::test
