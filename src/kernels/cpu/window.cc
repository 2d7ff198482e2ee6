// Window and mel filter-bank generators: small outputs computed once per call, single-threaded.
#include "kernels/cpu/window.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace lre::cpu {

void window_values(WindowKind kind, int64_t size, bool periodic, double* out) {
  const int64_t period = periodic ? size : size - 1;
  double a0 = 0.5, a1 = 0.5, a2 = 0;
  if (kind == WindowKind::Hamming) {
    a0 = 25.0 / 46.0;
    a1 = 1 - a0;
  } else if (kind == WindowKind::Blackman) {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  for (int64_t n = 0; n < size; ++n) {
    // A one-point symmetric window has no period; numpy's windows give it the value 1.
    double t = period > 0 ? 2 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(period) : 0.0;
    out[n] = period > 0 ? a0 - a1 * std::cos(t) + a2 * std::cos(2 * t) : 1.0;
  }
}

void mel_weight_matrix(int64_t num_mel_bins, int64_t dft_length, double sample_rate, double lower_hz, double upper_hz,
                       double* out) {
  const int64_t rows = dft_length / 2 + 1;
  std::fill(out, out + rows * num_mel_bins, 0.0);
  auto hz_to_mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  const double low = hz_to_mel(lower_hz), high = hz_to_mel(upper_hz);
  const double step = (high - low) / static_cast<double>(num_mel_bins + 2);
  std::vector<int64_t> bins(static_cast<size_t>(num_mel_bins + 2));
  for (size_t i = 0; i < bins.size(); ++i) {
    double hz = 700 * (std::pow(10.0, (static_cast<double>(i) * step + low) / 2595) - 1);
    bins[i] = static_cast<int64_t>(std::floor(static_cast<double>(dft_length + 1) * hz / sample_rate));
  }
  // Edges beyond the spectrum (an upper edge above sample_rate / 2) are cut off.
  auto set = [&](int64_t row, int64_t col, double v) {
    if (row >= 0 && row < rows) out[row * num_mel_bins + col] = v;
  };
  for (int64_t i = 0; i < num_mel_bins; ++i) {
    const int64_t lo = bins[static_cast<size_t>(i)], center = bins[static_cast<size_t>(i + 1)],
                  hi = bins[static_cast<size_t>(i + 2)];
    if (center == lo) {
      set(center, i, 1.0);
    } else {
      for (int64_t j = std::max<int64_t>(lo, 0); j <= std::min(center, rows - 1); ++j)
        set(j, i, static_cast<double>(j - lo) / static_cast<double>(center - lo));
    }
    if (hi > center)
      for (int64_t j = std::max<int64_t>(center, 0); j < std::min(hi, rows); ++j)
        set(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - center));
  }
}

}  // namespace lre::cpu
