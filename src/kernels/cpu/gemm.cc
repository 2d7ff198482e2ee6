// Straightforward gemm: rows of C split across threads, an i-k-j loop order so the inner loop
// streams B and C rows contiguously (vectorisable).
#include "kernels/cpu/gemm.h"

#include <vector>

namespace lre::cpu {

void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool) {
  auto rows = [&](int64_t r0, int64_t r1) {
    std::vector<float> brow(static_cast<size_t>(n));
    for (int64_t i = r0; i < r1; ++i) {
      float* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0.f ? 0.f : beta * ci[j];
      for (int64_t p = 0; p < k; ++p) {
        float av = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
        if (av == 0.f) continue;
        const float* bp = b + p * ldb;
        if (trans_b) {
          for (int64_t j = 0; j < n; ++j) ci[j] += av * b[j * ldb + p];
        } else {
          for (int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
        }
      }
    }
  };
  if (pool) pool->parallel_for(m, 1, rows);
  else rows(0, m);
}

}  // namespace lre::cpu
