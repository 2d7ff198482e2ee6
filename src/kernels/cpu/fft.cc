// FFT plans and the DFT/STFT loops: each worker gathers one signal into a complex buffer,
// transforms it and scatters the wanted bins; plans are built once per call and shared read-only.
#include "kernels/cpu/fft.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

bool is_pow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

std::complex<double> unit(double angle) { return {std::cos(angle), std::sin(angle)}; }

template <typename T>
double as_double(T v) {
  return static_cast<double>(static_cast<compute_t<T>>(v));
}
template <typename T>
T from_double(double v) {
  return static_cast<T>(static_cast<compute_t<T>>(v));
}

}  // namespace

FftPlan::FftPlan(int64_t n) : n_(n) {
  if (n <= 1) {
    m_ = n;
    return;
  }
  bluestein_ = !is_pow2(n);
  m_ = 1;
  while (m_ < (bluestein_ ? 2 * n - 1 : n)) m_ *= 2;
  roots_.resize(static_cast<size_t>(m_ / 2));
  for (int64_t k = 0; k < m_ / 2; ++k) roots_[static_cast<size_t>(k)] = unit(-2 * std::numbers::pi * k / m_);
  if (!bluestein_) return;
  // exp(-2 pi i jk/n) = chirp_j * chirp_k * conj(chirp_{k-j}): a convolution with the conjugate chirp.
  chirp_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    int64_t k2 = (k * k) % (2 * n);  // exact angle reduction keeps long transforms accurate
    chirp_[static_cast<size_t>(k)] = unit(-std::numbers::pi * static_cast<double>(k2) / static_cast<double>(n));
  }
  chirp_fft_.assign(static_cast<size_t>(m_), {0, 0});
  for (int64_t k = 0; k < n; ++k) {
    chirp_fft_[static_cast<size_t>(k)] = std::conj(chirp_[static_cast<size_t>(k)]);
    if (k > 0) chirp_fft_[static_cast<size_t>(m_ - k)] = std::conj(chirp_[static_cast<size_t>(k)]);
  }
  radix2(chirp_fft_.data());
}

void FftPlan::radix2(std::complex<double>* a) const {
  for (int64_t i = 1, j = 0; i < m_; ++i) {
    int64_t bit = m_ >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= m_; len <<= 1) {
    const int64_t half = len / 2, step = m_ / len;
    for (int64_t s = 0; s < m_; s += len)
      for (int64_t k = 0; k < half; ++k) {
        std::complex<double> t = a[s + k + half] * roots_[static_cast<size_t>(k * step)];
        a[s + k + half] = a[s + k] - t;
        a[s + k] += t;
      }
  }
}

void FftPlan::run(std::complex<double>* data, bool inverse, std::complex<double>* scratch) const {
  if (n_ <= 1) return;
  // The inverse transform is conj(forward(conj(x))).
  if (inverse)
    for (int64_t i = 0; i < n_; ++i) data[i] = std::conj(data[i]);
  if (!bluestein_) {
    radix2(data);
  } else {
    for (int64_t k = 0; k < n_; ++k) scratch[k] = data[k] * chirp_[static_cast<size_t>(k)];
    std::fill(scratch + n_, scratch + m_, std::complex<double>(0, 0));
    radix2(scratch);
    for (int64_t k = 0; k < m_; ++k) scratch[k] = std::conj(scratch[k] * chirp_fft_[static_cast<size_t>(k)]);
    radix2(scratch);  // forward FFT of the conjugate = conj of the unscaled inverse
    const double scale = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) data[k] = std::conj(scratch[k]) * scale * chirp_[static_cast<size_t>(k)];
  }
  if (inverse)
    for (int64_t i = 0; i < n_; ++i) data[i] = std::conj(data[i]);
}

template <typename T>
void dft(const T* x, T* y, int64_t outer, int64_t n_in, int64_t inner, int64_t channels, int64_t n_fft, int64_t n_out,
         bool inverse, ThreadPool* pool) {
  const FftPlan plan(n_fft);
  const int64_t n_copy = std::min(n_in, n_fft);
  const double scale = inverse && n_fft > 0 ? 1.0 / static_cast<double>(n_fft) : 1.0;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_fft * 8));
  maybe_parallel(pool, outer * inner, grain, [&](int64_t begin, int64_t end) {
    std::vector<std::complex<double>> buf(static_cast<size_t>(n_fft)),
        scratch(static_cast<size_t>(plan.scratch_size()));
    for (int64_t s = begin; s < end; ++s) {
      const int64_t o = s / inner, i = s % inner;
      const T* src = x + (o * n_in * inner + i) * channels;
      for (int64_t k = 0; k < n_copy; ++k) {
        const T* e = src + k * inner * channels;
        buf[static_cast<size_t>(k)] = {as_double(e[0]), channels == 2 ? as_double(e[1]) : 0.0};
      }
      std::fill(buf.begin() + n_copy, buf.end(), std::complex<double>(0, 0));
      plan.run(buf.data(), inverse, scratch.data());
      T* dst = y + (o * n_out * inner + i) * 2;
      for (int64_t k = 0; k < n_out; ++k) {
        dst[k * inner * 2] = from_double<T>(buf[static_cast<size_t>(k)].real() * scale);
        dst[k * inner * 2 + 1] = from_double<T>(buf[static_cast<size_t>(k)].imag() * scale);
      }
    }
  });
}

template <typename T>
void stft(const T* signal, const T* window, T* y, int64_t batch, int64_t length, int64_t channels, int64_t frame_step,
          int64_t frame_length, int64_t frames, int64_t n_out, ThreadPool* pool) {
  const FftPlan plan(frame_length);
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, frame_length * 8));
  maybe_parallel(pool, batch * frames, grain, [&](int64_t begin, int64_t end) {
    std::vector<std::complex<double>> buf(static_cast<size_t>(frame_length)),
        scratch(static_cast<size_t>(plan.scratch_size()));
    for (int64_t s = begin; s < end; ++s) {
      const int64_t b = s / frames, f = s % frames;
      const T* src = signal + (b * length + f * frame_step) * channels;
      for (int64_t k = 0; k < frame_length; ++k) {
        double w = window ? as_double(window[k]) : 1.0;
        buf[static_cast<size_t>(k)] = {as_double(src[k * channels]) * w,
                                       channels == 2 ? as_double(src[k * channels + 1]) * w : 0.0};
      }
      plan.run(buf.data(), false, scratch.data());
      T* dst = y + s * n_out * 2;
      for (int64_t k = 0; k < n_out; ++k) {
        dst[2 * k] = from_double<T>(buf[static_cast<size_t>(k)].real());
        dst[2 * k + 1] = from_double<T>(buf[static_cast<size_t>(k)].imag());
      }
    }
  });
}

#define LRE_INSTANTIATE_FFT(T)                                                                                 \
  template void dft<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, ThreadPool*); \
  template void stft<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                        ThreadPool*);
LRE_INSTANTIATE_FFT(float)
LRE_INSTANTIATE_FFT(double)
LRE_INSTANTIATE_FFT(Half)
LRE_INSTANTIATE_FFT(BFloat16)
#undef LRE_INSTANTIATE_FFT

}  // namespace lre::cpu
