// MaxUnpool: the indices come from a 2x2/stride-2 max pool computed in the test, so each maximum
// must land back where it was found, with zeros everywhere else.
#include "op_test_util.h"

namespace lre::test {

TEST(MaxUnpool, ScattersPooledMaxima) {
  // 3x3 windows at stride 2 over 7x9: 3x4 pooled, and unpooling gives back (3-1)*2+3 by (4-1)*2+3.
  const int64_t n = 2, c = 3, h = 7, w = 9, ph = 3, pw = 4;
  Tensor src = random_tensor(DType::Float32, {n, c, h, w}, 1);
  std::vector<double> s = to_doubles(src);
  std::vector<float> pooled;
  std::vector<int64_t> idx;
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t i = 0; i < ph; ++i)
      for (int64_t j = 0; j < pw; ++j) {
        int64_t best = -1;
        for (int64_t di = 0; di < 3; ++di)
          for (int64_t dj = 0; dj < 3; ++dj) {
            int64_t at = p * h * w + (2 * i + di) * w + 2 * j + dj;
            if (best < 0 || s[static_cast<size_t>(at)] > s[static_cast<size_t>(best)]) best = at;
          }
        pooled.push_back(static_cast<float>(s[static_cast<size_t>(best)]));
        idx.push_back(best);
      }
  auto y = OpTest("MaxUnpool", 11)
               .input("x", make_tensor<float>({n, c, ph, pw}, pooled))
               .input("i", make_tensor<int64_t>({n, c, ph, pw}, idx))
               .output("y")
               .attr("kernel_shape", std::vector<int64_t>{3, 3})
               .attr("strides", std::vector<int64_t>{2, 2})
               .run();
  ASSERT_EQ(y[0].shape(), (Shape{n, c, h, w}));
  std::vector<double> want(static_cast<size_t>(n * c * h * w), 0.0);
  for (size_t k = 0; k < idx.size(); ++k) want[static_cast<size_t>(idx[k])] = pooled[k];
  expect_close(y[0], want, 0, 0);
}

TEST(MaxUnpool, OutputShapeKeepsCoordinates) {
  // Indices address the 4x4 unpooled plane; a 5x5 output_shape keeps each value's (row, column).
  auto y = OpTest("MaxUnpool", 11)
               .input("x", make_tensor<float>({1, 1, 2, 2}, {5, 6, 7, 8}))
               .input("i", make_tensor<int64_t>({1, 1, 2, 2}, {5, 7, 13, 15}))
               .constant_input("shape", make_tensor<int64_t>({4}, {1, 1, 5, 5}))
               .output("y")
               .attr("kernel_shape", std::vector<int64_t>{2, 2})
               .attr("strides", std::vector<int64_t>{2, 2})
               .run();
  std::vector<double> want(25, 0.0);
  want[6] = 5;
  want[8] = 6;
  want[16] = 7;
  want[18] = 8;
  expect_close(y[0], want, 0, 0);
}

TEST(MaxUnpool, RejectsBadInputs) {
  Tensor x = make_tensor<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  auto run = [&](const Tensor& i, std::vector<int64_t> kernel) {
    return OpTest("MaxUnpool", 11).input("x", x).input("i", i).output("y").attr("kernel_shape", kernel).run();
  };
  EXPECT_THROW(run(make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, 16}), {2, 2}), Error);  // index past 4x4
  EXPECT_THROW(run(make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, -1}), {2, 2}), Error);  // negative index
  EXPECT_THROW(run(make_tensor<int64_t>({1, 1, 4}, {0, 1, 2, 3}), {2, 2}), Error);      // I shape differs
  EXPECT_THROW(run(make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, 3}), {2}), Error);      // kernel rank
  EXPECT_THROW(run(make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, 3}), {0, 2}), Error);   // empty kernel
  EXPECT_THROW(OpTest("MaxUnpool", 11)
                   .input("x", x)
                   .input("i", make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, 3}))
                   .constant_input("shape", make_tensor<int64_t>({4}, {1, 1, 3, 5}))
                   .output("y")
                   .attr("kernel_shape", std::vector<int64_t>{2, 2})
                   .attr("strides", std::vector<int64_t>{2, 2})
                   .run(),
               Error);  // output_shape smaller than the 4x4 unpooled shape
}

}  // namespace lre::test
