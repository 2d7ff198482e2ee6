// Generators of the ONNX signal constants: cosine-sum windows (Hann, Hamming, Blackman) and the
// triangular mel filter bank of MelWeightMatrix, computed in double.
#pragma once

#include <cstdint>

namespace lre::cpu {

enum class WindowKind { Hann, Hamming, Blackman };

// out[0..size): a periodic window has period size (for spectral analysis), a symmetric one size-1.
void window_values(WindowKind kind, int64_t size, bool periodic, double* out);

// out: (dft_length / 2 + 1, num_mel_bins) row-major, the ONNX reference's filter bank (mel points
// spaced by range / (num_mel_bins + 2), bin = floor((dft_length + 1) * hz / sample_rate)).
void mel_weight_matrix(int64_t num_mel_bins, int64_t dft_length, double sample_rate, double lower_hz, double upper_hz,
                       double* out);

}  // namespace lre::cpu
