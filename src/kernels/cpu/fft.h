// Complex FFTs of any length in double precision, and the strided DFT and STFT loops of the ONNX
// signal ops built on them. Powers of two use radix-2; other lengths Bluestein's chirp-z transform
// over a power-of-two FFT, so every length costs O(n log n).
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

class FftPlan {
 public:
  explicit FftPlan(int64_t n);
  int64_t size() const { return n_; }
  // Elements of scratch that run() needs.
  int64_t scratch_size() const { return bluestein_ ? m_ : 0; }
  // In-place DFT of data[0..n): sign -1 forward, +1 inverse (unscaled).
  void run(std::complex<double>* data, bool inverse, std::complex<double>* scratch) const;

 private:
  void radix2(std::complex<double>* a) const;  // forward, in place, length m_

  int64_t n_ = 0, m_ = 0;  // m_: the power-of-two length radix2 works on
  bool bluestein_ = false;
  std::vector<std::complex<double>> roots_;      // exp(-2 pi i k / m_), k < m_ / 2
  std::vector<std::complex<double>> chirp_;      // exp(-pi i k^2 / n_), k < n_
  std::vector<std::complex<double>> chirp_fft_;  // FFT of the conjugate chirp, wrapped to m_
};

// x: (outer, n_in, inner, channels), channels 1 (real) or 2 (complex); y: (outer, n_out, inner, 2).
// The signal along n_in is truncated or zero-padded to n_fft and its first n_out bins are written
// (n_out <= n_fft); the inverse transform is scaled by 1 / n_fft.
template <typename T>
void dft(const T* x, T* y, int64_t outer, int64_t n_in, int64_t inner, int64_t channels, int64_t n_fft, int64_t n_out,
         bool inverse, ThreadPool* pool);

// signal: (batch, length, channels); window: (frame_length) or null for a rectangular window;
// y: (batch, frames, n_out, 2) with frame f starting at f * frame_step.
template <typename T>
void stft(const T* signal, const T* window, T* y, int64_t batch, int64_t length, int64_t channels, int64_t frame_step,
          int64_t frame_length, int64_t frames, int64_t n_out, ThreadPool* pool);

}  // namespace lre::cpu
