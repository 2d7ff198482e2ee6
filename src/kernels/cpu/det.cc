// Batched determinant kernel: one LU factorisation per matrix, matrices spread over the pool.
#include "kernels/cpu/det.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

template <typename T>
void det(const T* x, T* y, int64_t batch, int64_t m, ThreadPool* pool) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, m * m * m));
  maybe_parallel(pool, batch, grain, [&](int64_t begin, int64_t end) {
    std::vector<double> a(static_cast<size_t>(m * m));
    for (int64_t b = begin; b < end; ++b) {
      const T* src = x + b * m * m;
      for (int64_t i = 0; i < m * m; ++i)
        a[static_cast<size_t>(i)] = static_cast<double>(static_cast<compute_t<T>>(src[i]));
      double d = 1;
      for (int64_t k = 0; k < m; ++k) {
        int64_t piv = k;
        for (int64_t i = k + 1; i < m; ++i)
          if (std::fabs(a[static_cast<size_t>(i * m + k)]) > std::fabs(a[static_cast<size_t>(piv * m + k)])) piv = i;
        const double pv = a[static_cast<size_t>(piv * m + k)];
        if (pv == 0) {
          d = 0;
          break;
        }
        if (piv != k) {
          for (int64_t j = k; j < m; ++j)
            std::swap(a[static_cast<size_t>(k * m + j)], a[static_cast<size_t>(piv * m + j)]);
          d = -d;
        }
        d *= pv;
        for (int64_t i = k + 1; i < m; ++i) {
          double f = a[static_cast<size_t>(i * m + k)] / pv;
          if (f == 0) continue;
          double* ri = &a[static_cast<size_t>(i * m)];
          const double* rk = &a[static_cast<size_t>(k * m)];
          for (int64_t j = k + 1; j < m; ++j) ri[j] -= f * rk[j];
        }
      }
      y[b] = static_cast<T>(static_cast<compute_t<T>>(d));
    }
  });
}

template void det<float>(const float*, float*, int64_t, int64_t, ThreadPool*);
template void det<double>(const double*, double*, int64_t, int64_t, ThreadPool*);
template void det<Half>(const Half*, Half*, int64_t, int64_t, ThreadPool*);
template void det<BFloat16>(const BFloat16*, BFloat16*, int64_t, int64_t, ThreadPool*);

}  // namespace lre::cpu
