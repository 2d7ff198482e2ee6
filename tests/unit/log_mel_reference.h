// A float64 reference for Whisper's log-mel spectrogram, written from Whisper's and librosa's
// definitions (reflect padding, naive DFT, Slaney filters) and independent of LogMel's code: the CPU
// tests (test_log_mel.cc) and the CUDA tests (tests/gpu/test_cuda_log_mel.cc) both check against it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace lre::audio::reference {

inline constexpr int kNFft = 400, kHop = 160, kBins = 201;
inline constexpr double kSr = 16000.0;

// librosa's Slaney mel scale, restated: 3 mels per 200 Hz below 1 kHz, log steps of 6.4^(1/27) above.
inline double ref_hz_to_mel(double hz) {
  return hz < 1000.0 ? hz * 3.0 / 200.0 : 15.0 + std::log(hz / 1000.0) * 27.0 / std::log(6.4);
}
inline double ref_mel_to_hz(double mel) {
  return mel < 15.0 ? mel * 200.0 / 3.0 : 1000.0 * std::pow(6.4, (mel - 15.0) / 27.0);
}

// The n_mels + 2 filter edges in Hz.
inline std::vector<double> ref_edges(int n_mels) {
  std::vector<double> e(static_cast<size_t>(n_mels + 2));
  for (int i = 0; i < n_mels + 2; ++i) e[static_cast<size_t>(i)] = ref_mel_to_hz(ref_hz_to_mel(8000.0) * i / (n_mels + 1));
  return e;
}

// (n_mels, kBins): triangles over the edges, each scaled to unit area in Hz.
inline std::vector<double> ref_filters(int n_mels) {
  std::vector<double> e = ref_edges(n_mels), w(static_cast<size_t>(n_mels) * kBins, 0.0);
  for (int m = 0; m < n_mels; ++m) {
    double lo = e[static_cast<size_t>(m)], mid = e[static_cast<size_t>(m + 1)], hi = e[static_cast<size_t>(m + 2)];
    for (int k = 0; k < kBins; ++k) {
      double f = k * kSr / kNFft, v = 0.0;
      if (f > lo && f <= mid) v = (f - lo) / (mid - lo);
      else if (f > mid && f < hi) v = (hi - f) / (hi - mid);
      w[static_cast<size_t>(m * kBins + k)] = v * 2.0 / (hi - lo);
    }
  }
  return w;
}

// (n_mels, frames) in double: Whisper's log_mel_spectrogram step by step. Padding to a window is
// the caller's: append the zeros to x.
inline std::vector<double> ref_log_mel(std::vector<double> x, int n_mels, int64_t& frames_out) {
  if (x.size() < 201) x.resize(201, 0.0);  // LogMel's documented rule for short audio
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<double> p(static_cast<size_t>(n + kNFft));  // numpy/torch "reflect": edge not repeated
  for (int64_t i = 0; i < n + kNFft; ++i) {
    int64_t j = i - kNFft / 2;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * n - 2 - j;
    p[static_cast<size_t>(i)] = x[static_cast<size_t>(j)];
  }
  const int64_t frames = 1 + n / kHop - 1;  // torch.stft frames, minus the last one
  frames_out = frames;
  std::vector<double> cosv(kNFft), sinv(kNFft), win(kNFft);
  for (int i = 0; i < kNFft; ++i) {
    cosv[static_cast<size_t>(i)] = std::cos(2 * std::numbers::pi * i / kNFft);
    sinv[static_cast<size_t>(i)] = std::sin(2 * std::numbers::pi * i / kNFft);
    win[static_cast<size_t>(i)] = std::pow(std::sin(std::numbers::pi * i / kNFft), 2);  // periodic Hann
  }
  std::vector<double> filt = ref_filters(n_mels), out(static_cast<size_t>(n_mels * frames));
  std::vector<double> power(kBins), seg(kNFft);
  for (int64_t f = 0; f < frames; ++f) {
    for (int t = 0; t < kNFft; ++t) seg[static_cast<size_t>(t)] = p[static_cast<size_t>(f * kHop + t)] * win[static_cast<size_t>(t)];
    for (int k = 0; k < kBins; ++k) {
      double re = 0, im = 0;
      // idx = (k * t) mod kNFft, stepped rather than divided: the GPU tests run this on 30 s windows.
      for (int t = 0, idx = 0; t < kNFft; ++t, idx = idx + k >= kNFft ? idx + k - kNFft : idx + k) {
        re += seg[static_cast<size_t>(t)] * cosv[static_cast<size_t>(idx)];
        im -= seg[static_cast<size_t>(t)] * sinv[static_cast<size_t>(idx)];
      }
      power[static_cast<size_t>(k)] = re * re + im * im;
    }
    for (int m = 0; m < n_mels; ++m) {
      double s = 0;
      for (int k = 0; k < kBins; ++k) s += filt[static_cast<size_t>(m * kBins + k)] * power[static_cast<size_t>(k)];
      out[static_cast<size_t>(m * frames + f)] = std::log10(std::max(s, 1e-10));
    }
  }
  double mx = *std::max_element(out.begin(), out.end());
  for (double& v : out) v = (std::max(v, mx - 8.0) + 4.0) / 4.0;
  return out;
}

}  // namespace lre::audio::reference
