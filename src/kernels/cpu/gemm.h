// Single-precision matrix multiply, the workhorse of MatMul, Gemm, Conv (through im2col), the
// recurrent ops and the Whisper CPU path.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

// C = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is (m, k), op(B) is (k, n), C is
// (m, n); lda/ldb/ldc are the row strides of A, B and C as stored. When beta == 0, C is not read
// (it may hold garbage or NaN). `pool` may be null for a single-threaded call.
void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool);

}  // namespace lre::cpu
