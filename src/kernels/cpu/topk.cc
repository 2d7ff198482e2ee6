// TopK kernel: each line along the axis is copied out as (value, index) pairs and partially sorted
// (a heap, n log k) under a total order, so ties and NaN give one deterministic answer.
#include "kernels/cpu/topk.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

// a < b with NaN above every number (and NaNs equal to each other).
template <typename C> bool value_less(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

}  // namespace

template <typename T>
void topk(const T* x, T* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
          ThreadPool* pool) {
  using C = compute_t<T>;
  struct Entry {
    C v;
    int64_t i;
  };
  if (outer <= 0 || inner <= 0 || k <= 0) return;
  auto before = [largest](const Entry& a, const Entry& b) {
    if (largest ? value_less(b.v, a.v) : value_less(a.v, b.v)) return true;
    if (largest ? value_less(a.v, b.v) : value_less(b.v, a.v)) return false;
    return a.i < b.i;
  };
  maybe_parallel(pool, outer * inner, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t begin, int64_t end) {
    std::vector<Entry> line(static_cast<size_t>(n));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / inner, j = task % inner;
      const T* xs = x + o * n * inner + j;
      for (int64_t t = 0; t < n; ++t) line[static_cast<size_t>(t)] = {static_cast<C>(xs[t * inner]), t};
      std::partial_sort(line.begin(), line.begin() + k, line.end(), before);
      T* vs = values + o * k * inner + j;
      int64_t* is = indices + o * k * inner + j;
      for (int64_t t = 0; t < k; ++t) {
        vs[t * inner] = static_cast<T>(line[static_cast<size_t>(t)].v);
        is[t * inner] = line[static_cast<size_t>(t)].i;
      }
    }
  });
}

#define LRE_INSTANTIATE_TOPK(T) \
  template void topk<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t, int64_t, bool, ThreadPool*);
LRE_INSTANTIATE_TOPK(float)
LRE_INSTANTIATE_TOPK(double)
LRE_INSTANTIATE_TOPK(Half)
LRE_INSTANTIATE_TOPK(BFloat16)
LRE_INSTANTIATE_TOPK(int8_t)
LRE_INSTANTIATE_TOPK(int16_t)
LRE_INSTANTIATE_TOPK(int32_t)
LRE_INSTANTIATE_TOPK(int64_t)
LRE_INSTANTIATE_TOPK(uint8_t)
LRE_INSTANTIATE_TOPK(uint16_t)
LRE_INSTANTIATE_TOPK(uint32_t)
LRE_INSTANTIATE_TOPK(uint64_t)
#undef LRE_INSTANTIATE_TOPK

}  // namespace lre::cpu
