// Unique by a stable sort of slice indices: equal slices end up adjacent with the first
// occurrence leading each run, which gives the groups, their first indices and their counts in
// one pass. Unsorted output reorders the groups by first occurrence.
#include "kernels/cpu/unique.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

#include "core/dispatch.h"

namespace lre::cpu {

namespace {

// A strict weak order on elements: numeric order, with NaN after everything and equal to NaN.
template <typename T>
inline bool element_less(T a, T b) {
  using C = compute_t<T>;
  const C ca = static_cast<C>(a), cb = static_cast<C>(b);
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(ca)) return false;
    if (std::isnan(cb)) return true;
  }
  return ca < cb;
}

}  // namespace

template <typename T>
UniqueGroups unique_slices(const T* x, int64_t outer, int64_t n, int64_t inner, bool sorted) {
  // -1: slice a before slice b, 0: equal, 1: after.
  auto compare = [&](int64_t a, int64_t b) {
    for (int64_t o = 0; o < outer; ++o) {
      const T* pa = x + (o * n + a) * inner;
      const T* pb = x + (o * n + b) * inner;
      for (int64_t e = 0; e < inner; ++e) {
        if (element_less(pa[e], pb[e])) return -1;
        if (element_less(pb[e], pa[e])) return 1;
      }
    }
    return 0;
  };
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  if (outer == 1 && inner == 1)
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return element_less(x[a], x[b]); });
  else
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });

  UniqueGroups g;
  g.inverse.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || compare(order[i - 1], order[i]) != 0) {
      g.first.push_back(order[i]);
      g.counts.push_back(0);
    }
    g.counts.back()++;
    g.inverse[static_cast<size_t>(order[i])] = static_cast<int64_t>(g.first.size()) - 1;
  }
  if (sorted) return g;

  std::vector<int64_t> by_first(g.first.size());
  std::iota(by_first.begin(), by_first.end(), 0);
  std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return g.first[a] < g.first[b]; });
  std::vector<int64_t> rank(g.first.size());
  UniqueGroups u;
  for (size_t r = 0; r < by_first.size(); ++r) {
    rank[static_cast<size_t>(by_first[r])] = static_cast<int64_t>(r);
    u.first.push_back(g.first[static_cast<size_t>(by_first[r])]);
    u.counts.push_back(g.counts[static_cast<size_t>(by_first[r])]);
  }
  u.inverse.resize(g.inverse.size());
  for (size_t i = 0; i < g.inverse.size(); ++i) u.inverse[i] = rank[static_cast<size_t>(g.inverse[i])];
  return u;
}

void gather_slices(const void* x, int64_t elem_size, int64_t outer, int64_t n, int64_t inner, const int64_t* which,
                   int64_t count, void* y) {
  const size_t slice_bytes = static_cast<size_t>(inner * elem_size);
  const auto* src = static_cast<const char*>(x);
  auto* dst = static_cast<char*>(y);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j)
      std::memcpy(dst + (o * count + j) * static_cast<int64_t>(slice_bytes),
                  src + (o * n + which[j]) * static_cast<int64_t>(slice_bytes), slice_bytes);
}

#define LRE_UNIQUE_INSTANCE(T) template UniqueGroups unique_slices<T>(const T*, int64_t, int64_t, int64_t, bool);
LRE_UNIQUE_INSTANCE(float)
LRE_UNIQUE_INSTANCE(double)
LRE_UNIQUE_INSTANCE(Half)
LRE_UNIQUE_INSTANCE(BFloat16)
LRE_UNIQUE_INSTANCE(int8_t)
LRE_UNIQUE_INSTANCE(int16_t)
LRE_UNIQUE_INSTANCE(int32_t)
LRE_UNIQUE_INSTANCE(int64_t)
LRE_UNIQUE_INSTANCE(uint8_t)
LRE_UNIQUE_INSTANCE(uint16_t)
LRE_UNIQUE_INSTANCE(uint32_t)
LRE_UNIQUE_INSTANCE(uint64_t)
LRE_UNIQUE_INSTANCE(bool)
#undef LRE_UNIQUE_INSTANCE

}  // namespace lre::cpu
