// DFT and STFT against a direct O(n^2) float64 DFT, on prime and power-of-two lengths so both
// the Bluestein and the radix-2 paths are checked.
#include <numbers>

#include "op_test_util.h"

namespace lre::test {

namespace {

// x: (outer, n_in, inner, channels) -> (outer, n_out, inner, 2).
std::vector<double> ref_dft(const std::vector<double>& x, int64_t outer, int64_t n_in, int64_t inner, int64_t channels,
                            int64_t n_fft, int64_t n_out, bool inverse) {
  std::vector<double> y(static_cast<size_t>(outer * n_out * inner * 2));
  const double sign = inverse ? 1 : -1;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      for (int64_t k = 0; k < n_out; ++k) {
        double re = 0, im = 0;
        for (int64_t t = 0; t < std::min(n_in, n_fft); ++t) {
          size_t at = static_cast<size_t>(((o * n_in + t) * inner + i) * channels);
          double xr = x[at], xi = channels == 2 ? x[at + 1] : 0;
          double a = sign * 2 * std::numbers::pi * static_cast<double>(k * t % n_fft) / static_cast<double>(n_fft);
          re += xr * std::cos(a) - xi * std::sin(a);
          im += xr * std::sin(a) + xi * std::cos(a);
        }
        double s = inverse ? 1.0 / static_cast<double>(n_fft) : 1.0;
        size_t out = static_cast<size_t>(((o * n_out + k) * inner + i) * 2);
        y[out] = re * s;
        y[out + 1] = im * s;
      }
  return y;
}

}  // namespace

TEST(DFT, RealAxis1WithPaddingAndTruncation) {
  Tensor x = random_tensor(DType::Float32, {2, 13, 3, 1}, 1);
  std::vector<double> xs = to_doubles(x);
  auto full = OpTest("DFT", 17).input("x", x).output("y").run();
  ASSERT_EQ(full[0].shape(), (Shape{2, 13, 3, 2}));
  expect_close(full[0], ref_dft(xs, 2, 13, 3, 1, 13, 13, false), 1e-4, 1e-5);
  for (int64_t n : {16, 7}) {
    auto y = OpTest("DFT", 17)
                 .input("x", x)
                 .constant_input("n", make_tensor<int64_t>({}, {n}))
                 .output("y")
                 .attr("onesided", 1)
                 .run();
    ASSERT_EQ(y[0].shape(), (Shape{2, n / 2 + 1, 3, 2}));
    expect_close(y[0], ref_dft(xs, 2, 13, 3, 1, n, n / 2 + 1, false), 1e-4, 1e-5);
  }
}

TEST(DFT, ComplexInverseOnLastSignalAxis) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 32, 2}, 2);
  auto y = OpTest("DFT", 17).input("x", x).output("y").attr("axis", -1).attr("inverse", 1).run();
  expect_close(y[0], ref_dft(to_doubles(x), 15, 32, 1, 2, 32, 32, true), 1e-4, 1e-6);
  Tensor d = random_tensor(DType::Float64, {1, 101, 2}, 3);
  auto z = OpTest("DFT", 17).input("x", d).output("y").run();
  expect_close(z[0], ref_dft(to_doubles(d), 1, 101, 1, 2, 101, 101, false), 1e-9, 1e-10);
}

TEST(DFT, RejectsBadInputs) {
  Tensor complex = random_tensor(DType::Float32, {1, 8, 2}, 4);
  EXPECT_THROW(OpTest("DFT", 17).input("x", complex).output("y").attr("onesided", 1).run(), Error);
  EXPECT_THROW(OpTest("DFT", 17).input("x", random_tensor(DType::Float32, {1, 8, 3}, 5)).output("y").run(), Error);
  EXPECT_THROW(OpTest("DFT", 17).input("x", complex).output("y").attr("axis", 2).run(), Error);  // the complex axis
  EXPECT_THROW(
      OpTest("DFT", 17).input("x", complex).constant_input("n", make_tensor<int64_t>({}, {0})).output("y").run(),
      Error);
}

namespace {

std::vector<double> ref_stft(const std::vector<double>& s, const std::vector<double>& window, int64_t batch,
                             int64_t length, int64_t step, int64_t frame, int64_t n_out) {
  const int64_t frames = (length - frame) / step + 1;
  std::vector<double> y;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t f = 0; f < frames; ++f) {
      std::vector<double> seg;
      for (int64_t t = 0; t < frame; ++t)
        seg.push_back(s[static_cast<size_t>(b * length + f * step + t)] *
                      (window.empty() ? 1 : window[static_cast<size_t>(t)]));
      std::vector<double> d = ref_dft(seg, 1, frame, 1, 1, frame, n_out, false);
      y.insert(y.end(), d.begin(), d.end());
    }
  return y;
}

}  // namespace

TEST(STFT, WindowedOnesidedAndFull) {
  const int64_t batch = 2, length = 53, step = 4, frame = 11;
  Tensor s = random_tensor(DType::Float32, {batch, length, 1}, 6);
  Tensor w = random_tensor(DType::Float32, {frame}, 7, 0.1, 1);
  auto y = OpTest("STFT", 17)
               .input("s", s)
               .constant_input("step", make_tensor<int64_t>({}, {step}))
               .input("w", w)
               .output("y")
               .run();
  const int64_t frames = (length - frame) / step + 1;
  ASSERT_EQ(y[0].shape(), (Shape{batch, frames, frame / 2 + 1, 2}));
  expect_close(y[0], ref_stft(to_doubles(s), to_doubles(w), batch, length, step, frame, frame / 2 + 1), 1e-4, 1e-5);
  auto full = OpTest("STFT", 17)
                  .input("s", s)
                  .constant_input("step", make_tensor<int64_t>({}, {step}))
                  .omitted_input()
                  .constant_input("len", make_tensor<int64_t>({}, {16}))
                  .output("y")
                  .attr("onesided", 0)
                  .run();
  expect_close(full[0], ref_stft(to_doubles(s), {}, batch, length, step, 16, 16), 1e-4, 1e-5);
}

TEST(STFT, RejectsBadArguments) {
  Tensor s = random_tensor(DType::Float32, {1, 20, 1}, 8);
  auto step = make_tensor<int64_t>({}, {4});
  EXPECT_THROW(OpTest("STFT", 17).input("s", s).constant_input("step", step).output("y").run(),
               Error);  // no window, no length
  EXPECT_THROW(OpTest("STFT", 17)
                   .input("s", s)
                   .constant_input("step", step)
                   .omitted_input()
                   .constant_input("len", make_tensor<int64_t>({}, {21}))
                   .output("y")
                   .run(),
               Error);  // frame longer than the signal
  EXPECT_THROW(OpTest("STFT", 17)
                   .input("s", s)
                   .constant_input("step", make_tensor<int64_t>({}, {0}))
                   .input("w", random_tensor(DType::Float32, {8}, 9))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("STFT", 17)
                   .input("s", s)
                   .constant_input("step", step)
                   .input("w", random_tensor(DType::Float32, {8}, 9))
                   .constant_input("len", make_tensor<int64_t>({}, {6}))
                   .output("y")
                   .run(),
               Error);  // window and frame_length disagree
  EXPECT_THROW(OpTest("STFT", 17)
                   .input("s", random_tensor(DType::Float32, {1, 20, 2}, 10))
                   .constant_input("step", step)
                   .input("w", random_tensor(DType::Float32, {8}, 9))
                   .output("y")
                   .run(),
               Error);  // onesided on a complex signal
}

}  // namespace lre::test
