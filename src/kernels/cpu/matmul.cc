// Batched SGEMM: either one product at a time with the pool inside the SGEMM, or many small
// products at once, one thread each, when a single product is too small to split well.
#include "kernels/cpu/matmul.h"

#include <algorithm>

#include "kernels/cpu/gemm.h"

namespace lre::cpu {

void batched_matmul_f32(const float* a, const int64_t* a_offsets, const float* b, const int64_t* b_offsets, float* c,
                        int64_t batch, int64_t m, int64_t n, int64_t k, ThreadPool* pool) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  auto one = [&](int64_t i, ThreadPool* inner) {
    gemm_f32(false, false, m, n, k, 1.f, a + a_offsets[i], k, b + b_offsets[i], n, 0.f, c + i * m * n, n, inner);
  };
  double flops = 2.0 * static_cast<double>(m) * n * k;
  if (!pool || batch == 1 || flops > 4e6) {
    for (int64_t i = 0; i < batch; ++i) one(i, pool);
    return;
  }
  int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(1e5 / (flops + 1)));
  pool->parallel_for(batch, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) one(i, nullptr);
  });
}

}  // namespace lre::cpu
