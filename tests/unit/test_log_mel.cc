// LogMel against the float64 reference of log_mel_reference.h (Whisper's and librosa's definitions:
// reflect padding, naive DFT, Slaney filters), plus frame counts, filterbank properties and edge cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "audio/log_mel.h"
#include "core/thread_pool.h"
#include "log_mel_reference.h"
#include "lre/error.h"

namespace lre::audio {
namespace {

using reference::kBins;
using reference::kSr;
using reference::ref_edges;
using reference::ref_log_mel;

// ~1.3 s of speech-like content: three tones, a chirp and noise, with a silent gap from 0.5 s to 0.75 s
// so that the 1e-10 floor and the (max - 8) clamp are exercised; the length is not a multiple of the hop.
std::vector<float> test_signal(int64_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double t = i / kSr;
    double v = 0.3 * std::sin(2 * std::numbers::pi * 220.0 * t) + 0.2 * std::sin(2 * std::numbers::pi * 1375.5 * t) +
               0.1 * std::sin(2 * std::numbers::pi * 5100.0 * t) + 0.05 * std::sin(2 * std::numbers::pi * (300.0 + 1500.0 * t) * t);
    double r = noise(rng);
    x[static_cast<size_t>(i)] = i >= 8000 && i < 12000 ? 0.0f : static_cast<float>(v + r);
  }
  return x;
}

double max_abs_diff(const Tensor& got, const std::vector<double>& want) {
  EXPECT_EQ(static_cast<size_t>(got.numel()), want.size());
  double err = 0;
  for (size_t i = 0; i < want.size(); ++i) err = std::max(err, std::fabs(static_cast<double>(got.data<float>()[i]) - want[i]));
  return err;
}

class LogMelRef : public ::testing::TestWithParam<int> {};

TEST_P(LogMelRef, MatchesFloat64Reference) {
  const int n_mels = GetParam();
  std::vector<float> x = test_signal(20803);
  int64_t frames = 0;
  std::vector<double> want = ref_log_mel(std::vector<double>(x.begin(), x.end()), n_mels, frames);
  ASSERT_EQ(frames, 130);
  const double clamped = *std::min_element(want.begin(), want.end());
  EXPECT_GT(std::count(want.begin(), want.end(), clamped), 100);  // the clamp is in play

  LogMel lm(n_mels);
  Tensor got = lm.compute(x);
  ASSERT_EQ(got.dtype(), DType::Float32);
  ASSERT_EQ(got.shape(), (Shape{n_mels, 130}));
  double err = max_abs_diff(got, want);
  EXPECT_LT(err, 1e-4);
  RecordProperty("max_abs_error", std::to_string(err));
  std::printf("[ LogMel   ] n_mels=%d max abs error vs float64 reference: %.3g\n", n_mels, err);

  ThreadPool pool(3);  // the pooled result must be bit-identical: frames are independent
  Tensor pooled = lm.compute(x, 0, &pool);
  ASSERT_EQ(pooled.shape(), got.shape());
  EXPECT_TRUE(std::equal(got.span<float>().begin(), got.span<float>().end(), pooled.span<float>().begin()));
}

TEST_P(LogMelRef, ShortAudioIsZeroPaddedTo201Samples) {
  const int n_mels = GetParam();
  std::vector<float> x = test_signal(57);
  int64_t frames = 0;
  std::vector<double> want = ref_log_mel(std::vector<double>(x.begin(), x.end()), n_mels, frames);
  Tensor got = LogMel(n_mels).compute(x);
  ASSERT_EQ(got.shape(), (Shape{n_mels, 1}));
  EXPECT_LT(max_abs_diff(got, want), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(LogMel, LogMelRef, ::testing::Values(80, 128));

TEST(LogMel, FrameCounts) {
  EXPECT_EQ(LogMel::frame_count(480000), 3000);
  EXPECT_EQ(LogMel::frame_count(16000, 480000), 3000);
  EXPECT_EQ(LogMel::frame_count(480001), 3000);
  EXPECT_EQ(LogMel::frame_count(479999), 2999);
  EXPECT_EQ(LogMel::frame_count(480160), 3001);
  EXPECT_EQ(LogMel::frame_count(20803), 130);
  EXPECT_EQ(LogMel::frame_count(20803, 100), 130);  // pad_to never truncates
  EXPECT_EQ(LogMel::frame_count(319), 1);
  EXPECT_EQ(LogMel::frame_count(320), 2);
  EXPECT_EQ(LogMel::frame_count(0), 1);
  EXPECT_EQ(LogMel::frame_count(1), 1);

  LogMel lm(80);
  std::vector<float> x = test_signal(16001);
  ThreadPool pool(2);
  EXPECT_EQ(lm.compute(x, 480000, &pool).shape(), (Shape{80, 3000}));
  EXPECT_EQ(lm.compute(std::span<const float>(x.data(), 16001)).shape(), (Shape{80, 100}));
  EXPECT_EQ(lm.compute(std::span<const float>(x.data(), 1601)).shape(), (Shape{80, 10}));
}

TEST(LogMel, PaddingToThirtySecondsMatchesExplicitZeros) {
  LogMel lm(80);
  std::vector<float> x = test_signal(3333);
  std::vector<float> zeros = x;
  zeros.resize(4800, 0.0f);
  Tensor a = lm.compute(x, 4800), b = lm.compute(zeros);
  ASSERT_EQ(a.shape(), (Shape{80, 30}));
  EXPECT_TRUE(std::equal(a.span<float>().begin(), a.span<float>().end(), b.span<float>().begin()));
}

// Hand-checked: with 80 mels the edges are 45.2456 * i / 81 mels; filter 0 spans 0..74.48 Hz with its
// peak at 37.24 Hz, so bin 1 (40 Hz) holds (74.48 - 40) / 37.24 * 2 / 74.48 = 0.0248626, the value in
// Whisper's mel_filters.npz. With 128 mels filter 0 spans 0..46.77 Hz and bin 1 holds 0.0123740.
TEST(LogMel, FilterbankProperties) {
  for (int n_mels : {80, 128}) {
    LogMel lm(n_mels);
    const std::vector<float>& w = lm.filters();
    ASSERT_EQ(w.size(), static_cast<size_t>(n_mels) * kBins);
    const std::vector<double> e = ref_edges(n_mels);
    for (int m = 0; m < n_mels; ++m) {
      const float* row = w.data() + static_cast<size_t>(m) * kBins;
      EXPECT_TRUE(std::all_of(row, row + kBins, [](float v) { return v >= 0.0f; })) << "filter " << m;
      int peak = static_cast<int>(std::max_element(row, row + kBins) - row);
      double lo = e[static_cast<size_t>(m)], mid = e[static_cast<size_t>(m + 1)], hi = e[static_cast<size_t>(m + 2)];
      EXPECT_GT(row[peak], 0.0f) << "filter " << m;
      EXPECT_LT(std::fabs(peak * 40.0 - mid), 40.0) << "filter " << m;  // a bin next to the center
      EXPECT_LE(row[peak], 2.0 / (hi - lo) * (1 + 1e-6)) << "filter " << m;
      for (int k = 0; k < kBins; ++k)
        if (k * 40.0 <= lo || k * 40.0 >= hi) {
          EXPECT_EQ(row[k], 0.0f) << "filter " << m << " bin " << k;
        }
      // Unit area in Hz; sampling every 40 Hz only approximates it once a filter spans many bins.
      if (hi - lo > 800.0) {
        double area = 0;
        for (int k = 0; k < kBins; ++k) area += row[k] * 40.0;
        EXPECT_NEAR(area, 1.0, 0.02) << "filter " << m;
      }
    }
    // Centers rise from ~37 Hz (80) / ~23 Hz (128) to just below Nyquist.
    EXPECT_GT(e[static_cast<size_t>(n_mels)], 7500.0);
    EXPECT_LT(e[static_cast<size_t>(n_mels + 1)], 8000.0 + 1e-9);
  }
  EXPECT_NEAR(LogMel(80).filters()[1], 0.0248626, 1e-6);
  EXPECT_NEAR(LogMel(128).filters()[1], 0.0123740, 1e-6);
  EXPECT_NEAR(ref_edges(80)[1], 37.2392, 1e-3);
  EXPECT_NEAR(ref_edges(128)[1], 23.3828, 1e-3);
  EXPECT_EQ(LogMel(80).filters()[0], 0.0f);  // no filter reaches DC
}

TEST(LogMel, RejectsBadArguments) {
  for (int n : {0, -1, 40, 64, 81, 129}) {
    try {
      LogMel lm(n);
      ADD_FAILURE() << "n_mels " << n << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    }
  }
  std::vector<float> x(1000, 0.1f);
  EXPECT_THROW(LogMel(80).compute(x, -1), Error);
}

// Silence (and empty input) has every mel at the 1e-10 floor: log10 = -10, so (x + 4) / 4 = -1.5.
TEST(LogMel, EmptyInputIsOneFrameOfSilence) {
  LogMel lm(128);
  Tensor t = lm.compute({});
  ASSERT_EQ(t.shape(), (Shape{128, 1}));
  for (float v : t.span<float>()) EXPECT_FLOAT_EQ(v, -1.5f);
  Tensor padded = LogMel(80).compute({}, 480000);
  ASSERT_EQ(padded.shape(), (Shape{80, 3000}));
  for (float v : padded.span<float>()) ASSERT_FLOAT_EQ(v, -1.5f);
}

}  // namespace
}  // namespace lre::audio
