// Batched matrix products for MatMul, Gemm and MatMulInteger: float32 through the blocked SGEMM,
// other element types through plain loops (exact integer wrap-around, double accumulation in
// double), written over pointers and shapes so a CUDA twin can mirror them.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

// c[i] (m, n) = a + a_offsets[i] (m, k) times b + b_offsets[i] (k, n), row-major and contiguous,
// for i in [0, batch). Many small products run side by side; big ones parallelise inside.
void batched_matmul_f32(const float* a, const int64_t* a_offsets, const float* b, const int64_t* b_offsets, float* c,
                        int64_t batch, int64_t m, int64_t n, int64_t k, ThreadPool* pool);

// c (m, n) = a (m, k) * b (k, n) accumulated in Acc; every element of c is written.
template <typename T, typename Acc>
void matmul_loop(const T* a, const T* b, T* c, int64_t m, int64_t n, int64_t k) {
  std::vector<Acc> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) row[j] = Acc(0);
    for (int64_t p = 0; p < k; ++p) {
      Acc av = static_cast<Acc>(a[i * k + p]);
      const T* bp = b + p * n;
      for (int64_t j = 0; j < n; ++j) row[j] += av * static_cast<Acc>(bp[j]);
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<T>(row[j]);
  }
}

// y (m, n) = alpha * op(a) * op(b) + beta * c, with c read through strides (c_row, c_col) so that
// a broadcast bias needs no copy; c may be null (no bias). Computes in Acc.
template <typename T, typename Acc>
void gemm_loop(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, Acc alpha, const T* a, const T* b,
               Acc beta, const T* c, int64_t c_row, int64_t c_col, T* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      Acc sum = Acc(0);
      for (int64_t p = 0; p < k; ++p) {
        Acc av = static_cast<Acc>(trans_a ? a[p * m + i] : a[i * k + p]);
        Acc bv = static_cast<Acc>(trans_b ? b[j * k + p] : b[p * n + j]);
        sum += av * bv;
      }
      Acc v = alpha * sum;
      if (c) v += beta * static_cast<Acc>(c[i * c_row + j * c_col]);
      y[i * n + j] = static_cast<T>(v);
    }
  }
}

}  // namespace lre::cpu
