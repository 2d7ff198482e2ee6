// Matrix products on cuBLAS for MatMul, Gemm and the Whisper runtime: row-major operands, float32,
// float16 or bfloat16 storage, float32 accumulation. The handle is the calling context's, already
// bound to its stream, so nothing here picks a stream.
#pragma once

#include <cstdint>

#include <cublas_v2.h>

#include "lre/dtype.h"

namespace lre::cuda {

// One row-major operand of a batched product: element (i, j) of matrix b is at
// data + b * batch_stride + i * ld + j (before the optional transpose). batch_stride 0 shares
// one matrix across the batch.
struct GemmOperand {
  const void* data = nullptr;
  int64_t ld = 0;
  int64_t batch_stride = 0;
  bool transpose = false;
};

// c[b] (m, n) = alpha * op(a[b]) * op(b[b]) + beta * c[b] for b in [0, batch), c row-major with
// leading dimension ldc and batch stride c_stride. float32 products use full float32 math (no
// TF32), so results track the CPU backend; the half types use tensor cores.
void gemm(cublasHandle_t handle, DType dtype, int64_t m, int64_t n, int64_t k, float alpha, const GemmOperand& a,
          const GemmOperand& b, float beta, void* c, int64_t ldc, int64_t c_stride, int64_t batch);

// The same with c in its own dtype: half-type operands into a float32 c (a transformer's float32
// residual stream, or float32 logits), which cuBLAS accumulates and writes without a rounding step
// to the half type in between. c_dtype is a_b_dtype or Float32.
void gemm(cublasHandle_t handle, DType a_b_dtype, DType c_dtype, int64_t m, int64_t n, int64_t k, float alpha,
          const GemmOperand& a, const GemmOperand& b, float beta, void* c, int64_t ldc, int64_t c_stride,
          int64_t batch);

}  // namespace lre::cuda
