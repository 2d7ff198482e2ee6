// Normalisation kernels. Work is split over independent slices (channels, rows, or blocks of
// columns of a strided axis) so each task makes its passes over memory it alone writes.
#include "kernels/cpu/normalization.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kWork = 16384;  // elements per parallel chunk, about
constexpr int64_t kColumns = 256;  // columns of a strided axis one task keeps statistics for

int64_t grain_for(int64_t per_task) { return std::max<int64_t>(1, kWork / std::max<int64_t>(1, per_task)); }

// Mean and population variance of p[0..n), two passes for accuracy.
template <typename T> void moments(const T* p, int64_t n, double& mean, double& var) {
  using C = compute_t<T>;
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(static_cast<C>(p[i]));
  mean = n ? s / static_cast<double>(n) : 0.0;
  double q = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = static_cast<double>(static_cast<C>(p[i])) - mean;
    q += d * d;
  }
  var = n ? q / static_cast<double>(n) : 0.0;
}

// y = x * a + b over one contiguous slice.
template <typename T> void affine(const T* x, T* y, int64_t n, compute_t<T> a, compute_t<T> b) {
  using C = compute_t<T>;
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C>(x[i]) * a + b);
}

}  // namespace

template <typename T>
void batch_norm(const T* x, T* y, int64_t n, int64_t c, int64_t inner, const double* scale, const double* bias,
                const double* mean, const double* var, double eps, ThreadPool* pool) {
  using C = compute_t<T>;
  std::vector<C> a(static_cast<size_t>(c)), b(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; ++k) {
    double s = scale[k] / std::sqrt(var[k] + eps);
    a[static_cast<size_t>(k)] = static_cast<C>(s);
    b[static_cast<size_t>(k)] = static_cast<C>(bias[k] - mean[k] * s);
  }
  maybe_parallel(pool, n * c, grain_for(inner), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      size_t k = static_cast<size_t>(s % c);
      affine(x + s * inner, y + s * inner, inner, a[k], b[k]);
    }
  });
}

template <typename T>
void channel_moments(const T* x, int64_t n, int64_t c, int64_t inner, double* mean, double* var, ThreadPool* pool) {
  using C = compute_t<T>;
  maybe_parallel(pool, c, grain_for(n * inner), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T* p = x + (i * c + k) * inner;
        for (int64_t j = 0; j < inner; ++j) s += static_cast<double>(static_cast<C>(p[j]));
      }
      const double count = static_cast<double>(n * inner);
      const double m = count > 0 ? s / count : 0.0;
      double q = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T* p = x + (i * c + k) * inner;
        for (int64_t j = 0; j < inner; ++j) {
          double d = static_cast<double>(static_cast<C>(p[j])) - m;
          q += d * d;
        }
      }
      mean[k] = m;
      var[k] = count > 0 ? q / count : 0.0;
    }
  });
}

template <typename T>
void instance_norm(const T* x, T* y, int64_t n, int64_t c, int64_t inner, const T* scale, const T* bias, double eps,
                   ThreadPool* pool) {
  using C = compute_t<T>;
  maybe_parallel(pool, n * c, grain_for(inner), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const int64_t k = s % c;
      double mean, var;
      moments(x + s * inner, inner, mean, var);
      const double a = static_cast<double>(static_cast<C>(scale[k])) / std::sqrt(var + eps);
      const double b = static_cast<double>(static_cast<C>(bias[k])) - mean * a;
      affine(x + s * inner, y + s * inner, inner, static_cast<C>(a), static_cast<C>(b));
    }
  });
}

template <typename T, typename U>
void layer_norm(const T* x, T* y, int64_t rows, int64_t cols, const T* scale, const T* bias, double eps, U* mean,
                U* inv_std, ThreadPool* pool) {
  using C = compute_t<T>;
  maybe_parallel(pool, rows, grain_for(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      double m, var;
      moments(xr, cols, m, var);
      const double inv = 1.0 / std::sqrt(var + eps);
      if (mean) mean[r] = static_cast<U>(m);
      if (inv_std) inv_std[r] = static_cast<U>(inv);
      const C mc = static_cast<C>(m), ic = static_cast<C>(inv);
      if (bias) {
        for (int64_t j = 0; j < cols; ++j)
          yr[j] = static_cast<T>((static_cast<C>(xr[j]) - mc) * ic * static_cast<C>(scale[j]) + static_cast<C>(bias[j]));
      } else {
        for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<T>((static_cast<C>(xr[j]) - mc) * ic * static_cast<C>(scale[j]));
      }
    }
  });
}

template <typename T>
void lrn(const T* x, T* y, int64_t n, int64_t c, int64_t inner, int64_t size, double alpha, double beta, double bias,
         ThreadPool* pool) {
  using C = compute_t<T>;
  const int64_t before = (size - 1) / 2, after = size / 2;
  const C coef = static_cast<C>(alpha / static_cast<double>(size)), cb = static_cast<C>(bias), cbeta = static_cast<C>(-beta);
  maybe_parallel(pool, n * c, grain_for(inner * size), [&](int64_t begin, int64_t end) {
    std::vector<C> sq(static_cast<size_t>(inner));
    for (int64_t s = begin; s < end; ++s) {
      const int64_t i = s / c, k = s % c;
      std::fill(sq.begin(), sq.end(), C(0));
      for (int64_t q = std::max<int64_t>(0, k - before); q <= std::min(c - 1, k + after); ++q) {
        const T* p = x + (i * c + q) * inner;
        for (int64_t j = 0; j < inner; ++j) {
          C v = static_cast<C>(p[j]);
          sq[static_cast<size_t>(j)] += v * v;
        }
      }
      const T* xs = x + s * inner;
      T* ys = y + s * inner;
      for (int64_t j = 0; j < inner; ++j)
        ys[j] = static_cast<T>(static_cast<C>(xs[j]) * std::pow(cb + coef * sq[static_cast<size_t>(j)], cbeta));
    }
  });
}

template <typename T>
void mean_variance_norm(const T* x, T* y, const ReduceLayout& l, ThreadPool* pool) {
  using C = compute_t<T>;
  if (l.rows <= 0 || l.count <= 0) return;
  const int64_t blocks = (l.inner + kColumns - 1) / kColumns;
  maybe_parallel(pool, l.rows * blocks, grain_for(l.count * std::min(l.inner, kColumns)), [&](int64_t begin, int64_t end) {
    std::vector<double> mean(static_cast<size_t>(std::min(l.inner, kColumns))), scale(mean.size());
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / blocks, j0 = (task % blocks) * kColumns, w = std::min(kColumns, l.inner - j0);
      const int64_t base = l.row_base(r) + j0;
      // Calls f(position in x, column) for every element of this task, in memory order.
      auto each = [&](auto&& f) {
        l.for_each_run([&](int64_t offset) {
          for (int64_t t = 0; t < l.run; ++t) {
            const int64_t at = base + offset + t * l.inner;
            for (int64_t j = 0; j < w; ++j) f(at + j, static_cast<size_t>(j));
          }
        });
      };
      std::fill(mean.begin(), mean.end(), 0.0);
      std::fill(scale.begin(), scale.end(), 0.0);
      each([&](int64_t at, size_t j) { mean[j] += static_cast<double>(static_cast<C>(x[at])); });
      for (double& m : mean) m /= static_cast<double>(l.count);
      each([&](int64_t at, size_t j) {
        double d = static_cast<double>(static_cast<C>(x[at])) - mean[j];
        scale[j] += d * d;
      });
      // The ONNX function adds its epsilon to the standard deviation, not to the variance.
      for (double& s : scale) s = 1.0 / (std::sqrt(s / static_cast<double>(l.count)) + 1e-9);
      each([&](int64_t at, size_t j) {
        y[at] = static_cast<T>(static_cast<C>((static_cast<double>(static_cast<C>(x[at])) - mean[j]) * scale[j]));
      });
    }
  });
}

template <typename T>
void lp_norm(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int p, ThreadPool* pool) {
  using C = compute_t<T>;
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  maybe_parallel(pool, outer * blocks, grain_for(n * std::min(inner, kColumns)), [&](int64_t begin, int64_t end) {
    std::vector<double> norm(static_cast<size_t>(std::min(inner, kColumns)));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks, j0 = (task % blocks) * kColumns, w = std::min(kColumns, inner - j0);
      const T* xs = x + o * n * inner + j0;
      T* ys = y + o * n * inner + j0;
      std::fill(norm.begin(), norm.end(), 0.0);
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < w; ++j) {
          double v = static_cast<double>(static_cast<C>(xs[k * inner + j]));
          norm[static_cast<size_t>(j)] += p == 1 ? std::fabs(v) : v * v;
        }
      // A zero vector stays zero rather than becoming 0/0.
      for (double& v : norm) v = p == 1 ? v : std::sqrt(v);
      for (double& v : norm) v = v > 0 ? 1.0 / v : 0.0;
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < w; ++j)
          ys[k * inner + j] = static_cast<T>(static_cast<C>(static_cast<double>(static_cast<C>(xs[k * inner + j])) * norm[static_cast<size_t>(j)]));
    }
  });
}

#define LRE_INSTANTIATE_NORM(T)                                                                                         \
  template void batch_norm<T>(const T*, T*, int64_t, int64_t, int64_t, const double*, const double*, const double*,   \
                              const double*, double, ThreadPool*);                                                     \
  template void channel_moments<T>(const T*, int64_t, int64_t, int64_t, double*, double*, ThreadPool*);                \
  template void instance_norm<T>(const T*, T*, int64_t, int64_t, int64_t, const T*, const T*, double, ThreadPool*);   \
  template void layer_norm<T, float>(const T*, T*, int64_t, int64_t, const T*, const T*, double, float*, float*,       \
                                     ThreadPool*);                                                                     \
  template void layer_norm<T, double>(const T*, T*, int64_t, int64_t, const T*, const T*, double, double*, double*,    \
                                      ThreadPool*);                                                                    \
  template void lrn<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, double, double, double, ThreadPool*);        \
  template void mean_variance_norm<T>(const T*, T*, const ReduceLayout&, ThreadPool*);                                 \
  template void lp_norm<T>(const T*, T*, int64_t, int64_t, int64_t, int, ThreadPool*);
LRE_INSTANTIATE_NORM(float)
LRE_INSTANTIATE_NORM(double)
LRE_INSTANTIATE_NORM(Half)
LRE_INSTANTIATE_NORM(BFloat16)
#undef LRE_INSTANTIATE_NORM

}  // namespace lre::cpu
