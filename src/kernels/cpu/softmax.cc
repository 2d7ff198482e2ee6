// Softmax kernels. A contiguous row (inner = 1) is done in three sweeps (max, exp and sum, scale);
// a strided axis (inner > 1) walks the rows of the axis once per sweep and keeps per-column state,
// so every sweep reads memory in order and vectorises across columns.
#include "kernels/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/fast_exp.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kWork = 16384;   // elements per parallel chunk, about
constexpr int64_t kColumns = 256;  // columns of a strided axis one task keeps state for

template <typename C> C exp_of(C v) {
  if constexpr (std::is_same_v<C, float>) return fast_exp(v);
  else return std::exp(v);
}

// Sum with eight partial sums: a vectorisable order, and less rounding than one running sum.
template <typename C> C sum_of(const C* p, int64_t n) {
  C part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) part[l] += p[i + l];
  for (; i < n; ++i) part[0] += p[i];
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

// One contiguous row. `tmp` holds n compute values (it may be y itself when T is the compute type).
template <typename T>
void softmax_row(const T* x, T* y, int64_t n, SoftmaxKind kind, compute_t<T>* tmp) {
  using C = compute_t<T>;
  if (kind == SoftmaxKind::Hardmax) {
    int64_t best = 0;
    C best_v = static_cast<C>(x[0]);
    for (int64_t i = 1; i < n; ++i) {
      C v = static_cast<C>(x[i]);
      if (v > best_v) {
        best_v = v;
        best = i;
      }
    }
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C>(i == best ? 1 : 0));
    return;
  }
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<C>(x[i]));
  for (int64_t i = 0; i < n; ++i) tmp[i] = exp_of<C>(static_cast<C>(x[i]) - m);
  C s = sum_of(tmp, n);
  if (kind == SoftmaxKind::Softmax) {
    C inv = C(1) / s;
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(tmp[i] * inv);
  } else {
    C shift = m + std::log(s);
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C>(x[i]) - shift);
  }
}

// Columns [j0, j0 + w) of one outer slice: x and y point at (slice, 0, j0), rows `inner` apart.
template <typename T>
void softmax_columns(const T* x, T* y, int64_t n, int64_t inner, int64_t w, SoftmaxKind kind, compute_t<T>* mx,
                     compute_t<T>* sum) {
  using C = compute_t<T>;
  constexpr bool kInPlace = std::is_same_v<T, C>;  // exp values can be parked in y
  if (kind == SoftmaxKind::Hardmax) {
    std::vector<int64_t> best(static_cast<size_t>(w), 0);
    for (int64_t j = 0; j < w; ++j) mx[j] = static_cast<C>(x[j]);
    for (int64_t k = 1; k < n; ++k)
      for (int64_t j = 0; j < w; ++j) {
        C v = static_cast<C>(x[k * inner + j]);
        if (v > mx[j]) {
          mx[j] = v;
          best[static_cast<size_t>(j)] = k;
        }
      }
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < w; ++j) y[k * inner + j] = static_cast<T>(static_cast<C>(best[static_cast<size_t>(j)] == k ? 1 : 0));
    return;
  }
  std::fill(mx, mx + w, -std::numeric_limits<C>::infinity());
  std::fill(sum, sum + w, C(0));
  for (int64_t k = 0; k < n; ++k)
    for (int64_t j = 0; j < w; ++j) mx[j] = std::max(mx[j], static_cast<C>(x[k * inner + j]));
  for (int64_t k = 0; k < n; ++k) {
    const T* xr = x + k * inner;
    T* yr = y + k * inner;
    for (int64_t j = 0; j < w; ++j) {
      C e = exp_of<C>(static_cast<C>(xr[j]) - mx[j]);
      if constexpr (kInPlace) yr[j] = e;
      sum[j] += e;
    }
  }
  if (kind == SoftmaxKind::Softmax) {
    for (int64_t j = 0; j < w; ++j) sum[j] = C(1) / sum[j];
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = x + k * inner;
      T* yr = y + k * inner;
      for (int64_t j = 0; j < w; ++j) {
        if constexpr (kInPlace) yr[j] = yr[j] * sum[j];
        else yr[j] = static_cast<T>(exp_of<C>(static_cast<C>(xr[j]) - mx[j]) * sum[j]);
      }
    }
  } else {
    for (int64_t j = 0; j < w; ++j) mx[j] += std::log(sum[j]);
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = x + k * inner;
      T* yr = y + k * inner;
      for (int64_t j = 0; j < w; ++j) yr[j] = static_cast<T>(static_cast<C>(xr[j]) - mx[j]);
    }
  }
}

}  // namespace

template <typename T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, SoftmaxKind kind, ThreadPool* pool) {
  using C = compute_t<T>;
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  if (inner == 1) {
    maybe_parallel(pool, outer, std::max<int64_t>(1, kWork / n), [&](int64_t begin, int64_t end) {
      std::vector<C> scratch;
      if constexpr (!std::is_same_v<T, C>) scratch.resize(static_cast<size_t>(n));
      for (int64_t r = begin; r < end; ++r) {
        T* yr = y + r * n;
        C* tmp;
        if constexpr (std::is_same_v<T, C>) tmp = yr;
        else tmp = scratch.data();
        softmax_row(x + r * n, yr, n, kind, tmp);
      }
    });
    return;
  }
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  const int64_t task_work = n * std::min(inner, kColumns);
  maybe_parallel(pool, outer * blocks, std::max<int64_t>(1, kWork / task_work), [&](int64_t begin, int64_t end) {
    std::vector<C> mx(static_cast<size_t>(std::min(inner, kColumns))), sum(mx.size());
    for (int64_t t = begin; t < end; ++t) {
      int64_t o = t / blocks, j0 = (t % blocks) * kColumns, w = std::min(kColumns, inner - j0);
      int64_t base = o * n * inner + j0;
      softmax_columns(x + base, y + base, n, inner, w, kind, mx.data(), sum.data());
    }
  });
}

#define LRE_INSTANTIATE_SOFTMAX(T) \
  template void softmax<T>(const T*, T*, int64_t, int64_t, int64_t, SoftmaxKind, ThreadPool*);
LRE_INSTANTIATE_SOFTMAX(float)
LRE_INSTANTIATE_SOFTMAX(double)
LRE_INSTANTIATE_SOFTMAX(Half)
LRE_INSTANTIATE_SOFTMAX(BFloat16)
#undef LRE_INSTANTIATE_SOFTMAX

}  // namespace lre::cpu
