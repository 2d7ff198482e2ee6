// HannWindow, HammingWindow, BlackmanWindow against their cosine-sum formulas in float64, and
// MelWeightMatrix against hand-checked filter banks.
#include <numbers>

#include "op_test_util.h"

namespace lre::test {

namespace {

std::vector<double> ref_window(double a0, double a1, double a2, int64_t size, bool periodic) {
  std::vector<double> v;
  double n = static_cast<double>(periodic ? size : size - 1);
  for (int64_t i = 0; i < size; ++i) {
    double t = 2 * std::numbers::pi * static_cast<double>(i) / n;
    v.push_back(a0 - a1 * std::cos(t) + a2 * std::cos(2 * t));
  }
  return v;
}

}  // namespace

TEST(HannWindow, PeriodicAndSymmetric) {
  auto p = OpTest("HannWindow", 17).input("n", make_tensor<int64_t>({}, {11})).output("y").run();
  ASSERT_EQ(p[0].shape(), Shape{11});
  EXPECT_EQ(p[0].dtype(), DType::Float32);
  expect_close(p[0], ref_window(0.5, 0.5, 0, 11, true), 1e-6, 1e-7);
  auto s = OpTest("HannWindow", 17).input("n", make_tensor<int32_t>({}, {11})).output("y").attr("periodic", 0).run();
  expect_close(s[0], ref_window(0.5, 0.5, 0, 11, false), 1e-6, 1e-7);
}

TEST(HammingWindow, OutputDatatypeDouble) {
  auto y = OpTest("HammingWindow", 17)
               .input("n", make_tensor<int64_t>({}, {13}))
               .output("y")
               .attr("output_datatype", 11)
               .run();
  EXPECT_EQ(y[0].dtype(), DType::Float64);
  expect_close(y[0], ref_window(25.0 / 46, 21.0 / 46, 0, 13, true), 1e-12, 1e-14);
}

TEST(BlackmanWindow, PeriodicAndSymmetric) {
  auto p = OpTest("BlackmanWindow", 17).input("n", make_tensor<int64_t>({}, {9})).output("y").run();
  expect_close(p[0], ref_window(0.42, 0.5, 0.08, 9, true), 1e-6, 1e-6);
  auto s = OpTest("BlackmanWindow", 17).input("n", make_tensor<int64_t>({}, {9})).output("y").attr("periodic", 0).run();
  expect_close(s[0], ref_window(0.42, 0.5, 0.08, 9, false), 1e-6, 1e-6);
}

TEST(HannWindow, RejectsBadSize) {
  EXPECT_THROW(OpTest("HannWindow", 17).input("n", make_tensor<int64_t>({}, {-3})).output("y").run(), Error);
  EXPECT_THROW(OpTest("HannWindow", 17).input("n", make_tensor<int64_t>({2}, {3, 4})).output("y").run(), Error);
  EXPECT_THROW(OpTest("HannWindow", 17).input("n", make_tensor<float>({}, {3})).output("y").run(), Error);
  EXPECT_THROW(
      OpTest("HannWindow", 17).input("n", make_tensor<int64_t>({}, {3})).output("y").attr("output_datatype", 9).run(),
      Error);  // bool
}

namespace {

std::vector<Tensor> run_mel(int64_t bins, int64_t dft, int64_t rate, float lo, float hi) {
  return OpTest("MelWeightMatrix", 17)
      .input("bins", make_tensor<int64_t>({}, {bins}))
      .input("dft", make_tensor<int64_t>({}, {dft}))
      .input("rate", make_tensor<int64_t>({}, {rate}))
      .input("lo", make_tensor<float>({}, {lo}))
      .input("hi", make_tensor<float>({}, {hi}))
      .output("y")
      .run();
}

}  // namespace

TEST(MelWeightMatrix, HandCheckedBanks) {
  // ONNX's example: 8 bins over 16-point DFTs at 8192 Hz are one-hot rows 0,0,1,1,2,3,4,5.
  auto y = run_mel(8, 16, 8192, 0, 4096);
  ASSERT_EQ(y[0].shape(), (Shape{9, 8}));
  std::vector<double> want(72, 0.0);
  const int rows[8] = {0, 0, 1, 1, 2, 3, 4, 5};
  for (int i = 0; i < 8; ++i) want[static_cast<size_t>(rows[i] * 8 + i)] = 1;
  expect_close(y[0], want, 0, 0);
  // 3 bins, 25-point DFT at 1000 Hz over 60..480 Hz: edges fall on bins 1, 3, 5, 7, 9, giving
  // triangles rising over two bins and falling over two.
  auto z = run_mel(3, 25, 1000, 60, 480);
  ASSERT_EQ(z[0].shape(), (Shape{13, 3}));
  std::vector<double> tri(39, 0.0);
  for (int i = 0; i < 3; ++i) {
    tri[static_cast<size_t>((2 + 2 * i) * 3 + i)] = 0.5;
    tri[static_cast<size_t>((3 + 2 * i) * 3 + i)] = 1;
    tri[static_cast<size_t>((4 + 2 * i) * 3 + i)] = 0.5;
  }
  expect_close(z[0], tri, 1e-6, 1e-7);
}

TEST(MelWeightMatrix, RejectsBadArguments) {
  EXPECT_THROW(run_mel(0, 16, 8000, 0, 4000), Error);
  EXPECT_THROW(run_mel(4, 0, 8000, 0, 4000), Error);
  EXPECT_THROW(run_mel(4, 16, 8000, 3000, 1000), Error);
  EXPECT_THROW(run_mel(4, 16, -1, 0, 1000), Error);
}

}  // namespace lre::test
