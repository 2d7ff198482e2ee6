// CudaLogMel against the float64 reference of tests/unit/log_mel_reference.h and against its CPU
// twin LogMel, for 80 and 128 bins: speech-like audio, 0 to 401 samples, exactly and beyond 30 s,
// silence then a tone (the max - 8 clamp), batches (each window clamped to its own maximum, cuFFT
// calls that cut a window), back-to-back calls through one staging buffer, and LogMel's errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "audio/cuda/log_mel_cuda.h"
#include "audio/log_mel.h"
#include "gpu_test_util.h"
#include "log_mel_reference.h"

namespace lre::test {
namespace {

using audio::CudaLogMel;
using audio::LogMel;

constexpr double kTolerance = 1e-4;  // absolute, on the final (x + 4) / 4 values
constexpr int64_t kWindowSamples = 480000;  // Whisper's 30 s at 16 kHz

// Speech-like content scaled by `gain`: three tones, a chirp from 100 Hz to 7.7 kHz that restarts
// every 4 s, and noise, so that energy reaches every mel band.
std::vector<float> speech_like(int64_t n, unsigned seed, double gain = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::vector<float> x(static_cast<size_t>(n));
  const double two_pi = 2 * std::numbers::pi;
  for (int64_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 16000.0, tau = std::fmod(t, 4.0);
    const double v = 0.3 * std::sin(two_pi * 220.0 * t) + 0.2 * std::sin(two_pi * 1375.5 * t) +
                     0.1 * std::sin(two_pi * 5100.0 * t) + 0.15 * std::sin(two_pi * (100.0 * tau + 950.0 * tau * tau)) +
                     noise(rng);
    x[static_cast<size_t>(i)] = static_cast<float>(gain * v);
  }
  return x;
}

// The audio in float64, zero-padded to pad_to samples as LogMel pads it.
std::vector<double> widened(std::span<const float> x, int64_t pad_to) {
  std::vector<double> v(x.begin(), x.end());
  if (static_cast<int64_t>(v.size()) < pad_to) v.resize(static_cast<size_t>(pad_to), 0.0);
  return v;
}

// Largest |got - want|; infinite where got is not finite (an element the kernels never wrote is NaN).
double max_abs_diff(std::span<const float> got, std::span<const double> want) {
  EXPECT_EQ(got.size(), want.size());
  double err = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    err = std::max(err, std::fabs(static_cast<double>(got[i]) - want[i]));
  }
  return err;
}

double max_abs_diff(std::span<const float> got, std::span<const float> want) {
  const std::vector<double> w(want.begin(), want.end());
  return max_abs_diff(got, std::span<const double>(w));
}

int current_device() {
  int device = 0;
  LRE_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

class CudaLogMelTest : public GpuParamTest<int> {
 protected:
  int n_mels() const { return GetParam(); }

  // (n_mels, frames) of one window, computed on the device into a NaN-poisoned buffer and downloaded.
  Tensor gpu(CudaLogMel& mel, std::span<const float> x, int64_t pad_to) {
    const int64_t frames = LogMel::frame_count(static_cast<int64_t>(x.size()), pad_to);
    DeviceTensor out = poisoned(DType::Float32, mel.n_mels() * frames, stream());
    mel.compute(x, pad_to, stream(), static_cast<float*>(out.data));
    return download(out.data, DType::Float32, {mel.n_mels(), frames}, stream());
  }

  // The device result within kTolerance of the float64 reference and of the CPU twin.
  void check(CudaLogMel& mel, std::span<const float> x, int64_t pad_to, const std::string& what) {
    SCOPED_TRACE(what + ", " + std::to_string(x.size()) + " samples, pad_to " + std::to_string(pad_to));
    const Tensor got = gpu(mel, x, pad_to);
    int64_t frames = 0;
    const std::vector<double> want = audio::reference::ref_log_mel(widened(x, pad_to), n_mels(), frames);
    ASSERT_EQ(got.shape(), (Shape{n_mels(), frames}));
    const Tensor cpu = LogMel(n_mels()).compute(x, pad_to);
    ASSERT_EQ(cpu.shape(), got.shape());
    const double err_ref = max_abs_diff(got.span<float>(), want), err_cpu = max_abs_diff(got.span<float>(), cpu.span<float>());
    EXPECT_LT(err_ref, kTolerance);
    EXPECT_LT(err_cpu, kTolerance);
    std::printf("[ CudaLogMel ] n_mels=%d %s: %lld frames, max abs error vs float64 %.3g, vs CPU %.3g\n", n_mels(),
                what.c_str(), static_cast<long long>(frames), err_ref, err_cpu);
  }
};

TEST_P(CudaLogMelTest, SpeechLikeAudioMatchesReferenceAndCpu) {
  CudaLogMel mel(n_mels(), current_device());
  const std::vector<float> x = speech_like(59203, 1);  // 3.7 s, not a multiple of the hop: 370 frames
  check(mel, x, 0, "3.7 s mix");
}

// Below LogMel::kMinSamples the audio is zero-padded first; 399 to 401 samples straddle the frame
// boundary of n_fft; empty audio is one frame of silence, as on the CPU.
TEST_P(CudaLogMelTest, VeryShortAudio) {
  CudaLogMel mel(n_mels(), current_device());
  const std::vector<float> x = speech_like(401, 2);
  for (size_t n : {0, 1, 399, 400, 401}) check(mel, std::span<const float>(x.data(), n), 0, "short");
  const Tensor empty = gpu(mel, {}, 0);
  ASSERT_EQ(empty.shape(), (Shape{n_mels(), 1}));
  for (float v : empty.span<float>()) EXPECT_FLOAT_EQ(v, -1.5f);
}

TEST_P(CudaLogMelTest, ThirtySecondWindows) {
  CudaLogMel mel(n_mels(), current_device());
  const std::vector<float> x = speech_like(kWindowSamples + 12345, 3);
  check(mel, std::span<const float>(x.data(), kWindowSamples), kWindowSamples, "exactly 30 s");
  check(mel, std::span<const float>(x.data(), 80000), kWindowSamples, "5 s padded to 30 s");
  // Longer than the window: padding never truncates, so 3077 frames.
  check(mel, x, kWindowSamples, "30.8 s");
}

// A tone between silences: the silent frames sit at the 1e-10 floor, far below max - 8, so most of
// the spectrogram is the clamped value.
TEST_P(CudaLogMelTest, SilenceThenToneIsClampedBelowMaxMinusEight) {
  CudaLogMel mel(n_mels(), current_device());
  std::vector<float> x(48000, 0.0f);
  for (int64_t i = 16000; i < 40000; ++i)
    x[static_cast<size_t>(i)] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / 16000.0));
  check(mel, x, 0, "silence, tone, silence");
  const Tensor got = gpu(mel, x, 0);
  const std::span<const float> v = got.span<float>();
  const float lowest = *std::min_element(v.begin(), v.end());
  EXPECT_NEAR(lowest, *std::max_element(v.begin(), v.end()) - 2.0f, 1e-5);  // (max - 8 + 4) / 4
  EXPECT_GT(std::count(v.begin(), v.end(), lowest), got.numel() / 2);
}

// Windows of one batch, each padded to 30 s: a loud one, a quiet one (60 dB down: clamped to a
// shared maximum it would lose its lower 6 decades), a single sample and an empty one.
TEST_P(CudaLogMelTest, BatchedWindowsEachHaveTheirOwnMaximum) {
  CudaLogMel mel(n_mels(), current_device());
  const std::vector<float> loud = speech_like(kWindowSamples, 4), quiet = speech_like(200000, 5, 1e-3);
  const float one_sample[1] = {0.25f};
  const std::span<const float> windows[] = {loud, quiet, one_sample, {}};
  const int64_t n = 4, frames = 3000, per_window = n_mels() * frames;

  DeviceTensor out = poisoned(DType::Float32, n * per_window, stream());
  mel.compute_batch(windows, kWindowSamples, stream(), static_cast<float*>(out.data));
  const Tensor got = download(out.data, DType::Float32, {n, n_mels(), frames}, stream());
  const LogMel cpu(n_mels());
  for (int64_t w = 0; w < n; ++w) {
    SCOPED_TRACE("window " + std::to_string(w));
    const std::span<const float> slice = got.span<float>().subspan(static_cast<size_t>(w * per_window), static_cast<size_t>(per_window));
    const Tensor want = cpu.compute(windows[w], kWindowSamples);
    EXPECT_LT(max_abs_diff(slice, want.span<float>()), kTolerance);
    // The same kernels one window at a time; only cuFFT's batch differs.
    const Tensor single = gpu(mel, windows[w], kWindowSamples);
    EXPECT_LT(max_abs_diff(slice, single.span<float>()), 1e-6);
    if (w < 2) {
      int64_t ref_frames = 0;
      const std::vector<double> ref = audio::reference::ref_log_mel(widened(windows[w], kWindowSamples), n_mels(), ref_frames);
      ASSERT_EQ(ref_frames, frames);
      EXPECT_LT(max_abs_diff(slice, ref), kTolerance);
    }
  }
}

// More frames than one cuFFT call takes (12000): 7 windows of 1999 frames put a call boundary inside
// the first tile of the last window; 140 s of audio put one inside a window.
TEST_P(CudaLogMelTest, FramesBeyondOneFftCallMatchCpu) {
  CudaLogMel mel(n_mels(), current_device());
  const LogMel cpu(n_mels());
  const std::vector<float> x = speech_like(16000 * 140 + 77, 6);

  const int64_t n = 7, samples = 319999, frames = LogMel::frame_count(samples);
  ASSERT_EQ(frames, 1999);
  std::vector<std::span<const float>> windows;
  for (int64_t w = 0; w < n; ++w) windows.push_back(std::span<const float>(x).subspan(static_cast<size_t>(w * samples), static_cast<size_t>(samples)));
  const int64_t per_window = n_mels() * frames;
  DeviceTensor out = poisoned(DType::Float32, n * per_window, stream());
  mel.compute_batch(windows, 0, stream(), static_cast<float*>(out.data));
  const Tensor got = download(out.data, DType::Float32, {n, n_mels(), frames}, stream());
  for (int64_t w = 0; w < n; ++w) {
    const std::span<const float> slice = got.span<float>().subspan(static_cast<size_t>(w * per_window), static_cast<size_t>(per_window));
    EXPECT_LT(max_abs_diff(slice, cpu.compute(windows[static_cast<size_t>(w)]).span<float>()), kTolerance) << "window " << w;
  }

  const Tensor whole = gpu(mel, x, 0);
  ASSERT_EQ(whole.shape(), (Shape{n_mels(), 14000}));
  EXPECT_LT(max_abs_diff(whole.span<float>(), cpu.compute(x).span<float>()), kTolerance);
}

// Calls enqueued back to back without a host wait: the second rewrites the pinned staging only after
// the first's upload has left it, and grows it (a longer input) without losing that upload.
TEST_P(CudaLogMelTest, BackToBackCallsShareTheStaging) {
  CudaLogMel mel(n_mels(), current_device());
  mel.prepare(3000);
  const std::vector<float> a = speech_like(kWindowSamples / 4, 7), b = speech_like(kWindowSamples, 8);
  const int64_t per_window = n_mels() * 3000;
  DeviceTensor out_a = poisoned(DType::Float32, per_window, stream()), out_b = poisoned(DType::Float32, per_window, stream()),
               out_c = poisoned(DType::Float32, per_window, stream());
  mel.compute(a, kWindowSamples, stream(), static_cast<float*>(out_a.data));
  mel.compute(b, kWindowSamples, stream(), static_cast<float*>(out_b.data));
  mel.compute(a, kWindowSamples, stream(), static_cast<float*>(out_c.data));
  const Shape shape{n_mels(), 3000};
  const LogMel cpu(n_mels());
  const Tensor want_a = cpu.compute(a, kWindowSamples), want_b = cpu.compute(b, kWindowSamples);
  EXPECT_LT(max_abs_diff(download(out_a.data, DType::Float32, shape, stream()).span<float>(), want_a.span<float>()), kTolerance);
  EXPECT_LT(max_abs_diff(download(out_b.data, DType::Float32, shape, stream()).span<float>(), want_b.span<float>()), kTolerance);
  EXPECT_LT(max_abs_diff(download(out_c.data, DType::Float32, shape, stream()).span<float>(), want_a.span<float>()), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(CudaLogMel, CudaLogMelTest, ::testing::Values(80, 128),
                         [](const ::testing::TestParamInfo<int>& info) { return "mels" + std::to_string(info.param); });

class CudaLogMelErrors : public GpuTest {};

// The CPU's errors for the CPU's bad inputs, and the device path's own.
TEST_F(CudaLogMelErrors, RejectsWhatTheCpuRejects) {
  const int device = current_device();
  for (int n : {0, -1, 40, 64, 81, 129}) {
    const std::string what = "n_mels " + std::to_string(n);
    expect_error(ErrorCode::InvalidArgument, [&] { LogMel cpu(n); }, what + " on the CPU");
    expect_error(ErrorCode::InvalidArgument, [&] { CudaLogMel gpu(n, device); }, what + " on the GPU");
  }

  CudaLogMel mel(80, device);
  const std::vector<float> x(1000, 0.1f);
  DeviceTensor out = poisoned(DType::Float32, 80 * 6, stream());
  float* y = static_cast<float*>(out.data);
  expect_error(ErrorCode::InvalidArgument, [&] { LogMel(80).compute(x, -1); }, "pad_to -1 on the CPU");
  expect_error(ErrorCode::InvalidArgument, [&] { mel.compute(x, -1, stream(), y); }, "pad_to -1 on the GPU");
  expect_error(ErrorCode::InvalidArgument, [&] { mel.compute(x, 0, stream(), nullptr); }, "null output");
  expect_error(ErrorCode::InvalidArgument, [&] { mel.compute(x, 0, nullptr, y); }, "the legacy default stream");
  const std::span<const float> mismatched[] = {x, std::span<const float>(x.data(), 500)};
  expect_error(ErrorCode::InvalidArgument, [&] { mel.compute_batch(mismatched, 0, stream(), y); },
               "windows of 6 and 3 frames");
  expect_error(ErrorCode::InvalidArgument, [&] { mel.prepare(-1); }, "prepare(-1)");

  // No windows: nothing to do, nothing written.
  mel.compute_batch({}, 0, stream(), nullptr);
  sync();
}

}  // namespace
}  // namespace lre::test
