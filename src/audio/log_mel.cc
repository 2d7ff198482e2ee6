// Log-mel spectrogram: each frame is windowed and transformed in double with the shared FFT plan,
// then only the nonzero span of each triangular filter is summed; the clamp to (max - 8) needs the
// global maximum, so it runs as a second pass once every frame is done.
#include "audio/log_mel.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "kernels/cpu/fft.h"
#include "lre/error.h"

namespace lre::audio {

namespace {

// Slaney's mel scale as librosa implements it (htk=False): linear below 1 kHz, logarithmic above.
constexpr double kMelLinearHz = 200.0 / 3.0;
constexpr double kMelLogStartHz = 1000.0;
constexpr double kMelLogStartMel = kMelLogStartHz / kMelLinearHz;  // 15
const double kMelLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
  if (hz < kMelLogStartHz) return hz / kMelLinearHz;
  return kMelLogStartMel + std::log(hz / kMelLogStartHz) / kMelLogStep;
}

double mel_to_hz(double mel) {
  if (mel < kMelLogStartMel) return mel * kMelLinearHz;
  return kMelLogStartHz * std::exp(kMelLogStep * (mel - kMelLogStartMel));
}

}  // namespace

LogMel::LogMel(int n_mels) : n_mels_(n_mels) {
  if (n_mels != 80 && n_mels != 128)
    throw Error(ErrorCode::InvalidArgument,
                "LogMel: n_mels must be 80 or 128 (the Whisper models), got " + std::to_string(n_mels));

  // Periodic Hann (torch.hann_window default): the window of length N + 1 with its last sample cut.
  window_.resize(kNFft);
  for (int64_t n = 0; n < kNFft; ++n)
    window_[static_cast<size_t>(n)] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(n) / kNFft);

  // librosa.filters.mel: n_mels + 2 edges evenly spaced in mel from 0 Hz to Nyquist; filter m rises
  // from edge m to m + 1 and falls to m + 2, scaled by 2 / (f_hi - f_lo) so each has unit area in Hz.
  std::vector<double> edges(static_cast<size_t>(n_mels + 2));
  const double mel_max = hz_to_mel(kSampleRate / 2.0);
  for (int i = 0; i < n_mels + 2; ++i) edges[static_cast<size_t>(i)] = mel_to_hz(mel_max * i / (n_mels + 1));
  filters_.assign(static_cast<size_t>(n_mels) * kBins, 0.0f);
  band_begin_.assign(static_cast<size_t>(n_mels), 0);
  band_end_.assign(static_cast<size_t>(n_mels), 0);
  for (int m = 0; m < n_mels; ++m) {
    const double lo = edges[static_cast<size_t>(m)], mid = edges[static_cast<size_t>(m + 1)],
                 hi = edges[static_cast<size_t>(m + 2)];
    const double norm = 2.0 / (hi - lo);
    int64_t begin = kBins, end = 0;
    for (int64_t k = 0; k < kBins; ++k) {
      const double f = static_cast<double>(k) * kSampleRate / kNFft;
      const double w = std::max(0.0, std::min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) * norm;
      const float wf = static_cast<float>(w);
      filters_[static_cast<size_t>(m * kBins + k)] = wf;
      if (wf != 0.0f) {
        begin = std::min(begin, k);
        end = k + 1;
      }
    }
    band_begin_[static_cast<size_t>(m)] = std::min(begin, end);
    band_end_[static_cast<size_t>(m)] = end;
  }
}

int64_t LogMel::frame_count(int64_t samples, int64_t pad_to_samples) {
  const int64_t length = std::max({samples, pad_to_samples, kMinSamples});
  // center=True gives 1 + length / hop frames; Whisper drops the last one.
  return length / kHop;
}

Tensor LogMel::compute(std::span<const float> samples_16k, int64_t pad_to_samples, ThreadPool* pool) const {
  if (pad_to_samples < 0)
    throw Error(ErrorCode::InvalidArgument,
                "LogMel::compute: pad_to_samples must be >= 0, got " + std::to_string(pad_to_samples));
  const int64_t samples = static_cast<int64_t>(samples_16k.size());
  const int64_t length = std::max({samples, pad_to_samples, kMinSamples});
  const int64_t frames = frame_count(samples, pad_to_samples);
  const int64_t pad = kNFft / 2;

  // Sample i of the zero-padded audio, addressed from the start of the reflect-padded signal.
  auto padded = [&](int64_t p) -> double {
    int64_t i = p - pad;
    if (i < 0) i = -i;
    else if (i >= length) i = 2 * (length - 1) - i;
    return i < samples ? static_cast<double>(samples_16k[static_cast<size_t>(i)]) : 0.0;
  };

  Tensor out(DType::Float32, {n_mels_, frames});  // (n_mels, frames)
  float* y = out.data<float>();
  const cpu::FftPlan plan(kNFft);

  auto run_frames = [&](int64_t begin, int64_t end) {
    std::vector<std::complex<double>> buf(static_cast<size_t>(kNFft));
    std::vector<std::complex<double>> scratch(static_cast<size_t>(plan.scratch_size()));
    std::vector<double> power(static_cast<size_t>(kBins));
    for (int64_t f = begin; f < end; ++f) {
      const int64_t start = f * kHop;
      for (int64_t n = 0; n < kNFft; ++n)
        buf[static_cast<size_t>(n)] = {padded(start + n) * window_[static_cast<size_t>(n)], 0.0};
      plan.run(buf.data(), false, scratch.data());
      for (int64_t k = 0; k < kBins; ++k) power[static_cast<size_t>(k)] = std::norm(buf[static_cast<size_t>(k)]);
      for (int m = 0; m < n_mels_; ++m) {
        double mel = 0.0;
        const float* row = filters_.data() + static_cast<size_t>(m) * kBins;
        for (int64_t k = band_begin_[static_cast<size_t>(m)]; k < band_end_[static_cast<size_t>(m)]; ++k)
          mel += static_cast<double>(row[k]) * power[static_cast<size_t>(k)];
        y[m * frames + f] = static_cast<float>(std::log10(std::max(mel, 1e-10)));
      }
    }
  };
  constexpr int64_t kGrain = 32;  // frames per chunk: ~1 ms of work, far above scheduling cost
  if (pool != nullptr && pool->size() > 1 && frames > kGrain) pool->parallel_for(frames, kGrain, run_frames);
  else run_frames(0, frames);

  const int64_t total = out.numel();
  const float floor = *std::max_element(y, y + total) - 8.0f;
  for (int64_t i = 0; i < total; ++i) y[i] = (std::max(y[i], floor) + 4.0f) / 4.0f;
  return out;
}

}  // namespace lre::audio
