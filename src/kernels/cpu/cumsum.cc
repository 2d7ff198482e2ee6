// CumSum kernel: the axis is walked row by row with one running sum per column, so a strided axis
// reads memory in order and the column loop vectorises.
#include "kernels/cpu/cumsum.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

template <typename T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse, ThreadPool* pool) {
  // Integers sum in uint64 (wrapping, without signed overflow); half types in float.
  using A = std::conditional_t<std::is_integral_v<T>, uint64_t, compute_t<T>>;
  constexpr int64_t kColumns = 512;
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  const int64_t w_max = std::min(inner, kColumns);
  maybe_parallel(pool, outer * blocks, std::max<int64_t>(1, 16384 / (n * w_max)), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(static_cast<size_t>(w_max));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks, j0 = (task % blocks) * kColumns, w = std::min(kColumns, inner - j0);
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t step = 0; step < n; ++step) {
        const int64_t t = reverse ? n - 1 - step : step;
        const T* xr = x + (o * n + t) * inner + j0;
        T* yr = y + (o * n + t) * inner + j0;
        for (int64_t j = 0; j < w; ++j) {
          const A v = static_cast<A>(static_cast<compute_t<T>>(xr[j]));
          A& a = acc[static_cast<size_t>(j)];
          if (exclusive) {
            yr[j] = static_cast<T>(a);
            a += v;
          } else {
            a += v;
            yr[j] = static_cast<T>(a);
          }
        }
      }
    }
  });
}

#define LRE_INSTANTIATE_CUMSUM(T) template void cumsum<T>(const T*, T*, int64_t, int64_t, int64_t, bool, bool, ThreadPool*);
LRE_INSTANTIATE_CUMSUM(float)
LRE_INSTANTIATE_CUMSUM(double)
LRE_INSTANTIATE_CUMSUM(Half)
LRE_INSTANTIATE_CUMSUM(BFloat16)
LRE_INSTANTIATE_CUMSUM(int8_t)
LRE_INSTANTIATE_CUMSUM(int16_t)
LRE_INSTANTIATE_CUMSUM(int32_t)
LRE_INSTANTIATE_CUMSUM(int64_t)
LRE_INSTANTIATE_CUMSUM(uint8_t)
LRE_INSTANTIATE_CUMSUM(uint16_t)
LRE_INSTANTIATE_CUMSUM(uint32_t)
LRE_INSTANTIATE_CUMSUM(uint64_t)
#undef LRE_INSTANTIATE_CUMSUM

}  // namespace lre::cpu
