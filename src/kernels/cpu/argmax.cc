// ArgMax/ArgMin kernel: a strided axis is scanned row by row with per-column best values, so the
// reads stay in memory order.
#include "kernels/cpu/argmax.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kWork = 16384;
constexpr int64_t kColumns = 256;

template <typename C> bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(v);
  else return false;
}

// Whether v replaces the current best b.
template <typename C> bool beats(C v, C b, bool largest, bool last) {
  if (is_nan(b)) return false;
  if (is_nan(v)) return true;
  return largest ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
}

}  // namespace

template <typename T>
void arg_extreme(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, bool largest, bool last,
                 ThreadPool* pool) {
  using C = compute_t<T>;
  if (outer <= 0 || inner <= 0 || n <= 0) return;
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  const int64_t w_max = std::min(inner, kColumns);
  maybe_parallel(pool, outer * blocks, std::max<int64_t>(1, kWork / (n * w_max)), [&](int64_t begin, int64_t end) {
    std::vector<C> best(static_cast<size_t>(w_max));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks, j0 = (task % blocks) * kColumns, w = std::min(kColumns, inner - j0);
      const T* xs = x + o * n * inner + j0;
      int64_t* ys = y + o * inner + j0;
      for (int64_t j = 0; j < w; ++j) {
        best[static_cast<size_t>(j)] = static_cast<C>(xs[j]);
        ys[j] = 0;
      }
      for (int64_t k = 1; k < n; ++k)
        for (int64_t j = 0; j < w; ++j) {
          C v = static_cast<C>(xs[k * inner + j]);
          if (beats(v, best[static_cast<size_t>(j)], largest, last)) {
            best[static_cast<size_t>(j)] = v;
            ys[j] = k;
          }
        }
    }
  });
}

#define LRE_INSTANTIATE_ARG(T) \
  template void arg_extreme<T>(const T*, int64_t*, int64_t, int64_t, int64_t, bool, bool, ThreadPool*);
LRE_INSTANTIATE_ARG(float)
LRE_INSTANTIATE_ARG(double)
LRE_INSTANTIATE_ARG(Half)
LRE_INSTANTIATE_ARG(BFloat16)
LRE_INSTANTIATE_ARG(int8_t)
LRE_INSTANTIATE_ARG(int16_t)
LRE_INSTANTIATE_ARG(int32_t)
LRE_INSTANTIATE_ARG(int64_t)
LRE_INSTANTIATE_ARG(uint8_t)
LRE_INSTANTIATE_ARG(uint16_t)
LRE_INSTANTIATE_ARG(uint32_t)
LRE_INSTANTIATE_ARG(uint64_t)
#undef LRE_INSTANTIATE_ARG

}  // namespace lre::cpu
