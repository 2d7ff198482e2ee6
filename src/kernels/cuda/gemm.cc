// cuBLAS is column-major: a row-major C = A B is the column-major C^T = B^T A^T, so the operands
// swap places and every row-major leading dimension is used as is.
#include "kernels/cuda/gemm.h"

#include <limits>
#include <string>

#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::cuda {

namespace {

cudaDataType_t cuda_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return CUDA_R_32F;
    case DType::Float16: return CUDA_R_16F;
    case DType::BFloat16: return CUDA_R_16BF;
    default: throw Error(ErrorCode::Unsupported, std::string("gemm: dtype ") + dtype_name(dtype) + " is not supported on CUDA");
  }
}

int to_int(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw Error(ErrorCode::Unsupported, std::string("gemm: ") + what + " = " + std::to_string(v) + " exceeds cuBLAS's int range");
  return static_cast<int>(v);
}

}  // namespace

void gemm(cublasHandle_t handle, DType dtype, int64_t m, int64_t n, int64_t k, float alpha, const GemmOperand& a,
          const GemmOperand& b, float beta, void* c, int64_t ldc, int64_t c_stride, int64_t batch) {
  gemm(handle, dtype, dtype, m, n, k, alpha, a, b, beta, c, ldc, c_stride, batch);
}

void gemm(cublasHandle_t handle, DType a_b_dtype, DType c_dtype, int64_t m, int64_t n, int64_t k, float alpha,
          const GemmOperand& a, const GemmOperand& b, float beta, void* c, int64_t ldc, int64_t c_stride,
          int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  if (c_dtype != a_b_dtype && c_dtype != DType::Float32)
    throw Error(ErrorCode::Unsupported, std::string("gemm: ") + dtype_name(a_b_dtype) + " operands into " +
                                            dtype_name(c_dtype) + " (only the operands' dtype or float32)");
  const cudaDataType_t type = cuda_type(a_b_dtype), c_type = cuda_type(c_dtype);
  // Float32 accumulation for every dtype; half inputs run on tensor cores with it.
  const cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  // Column-major view: C^T (n, m) = op(B)^T (n, k) * op(A)^T (k, m).
  const cublasOperation_t op_b = b.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = a.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int im = to_int(m, "m"), in = to_int(n, "n"), ik = to_int(k, "k");
  const int lda = to_int(a.ld, "lda"), ldb = to_int(b.ld, "ldb"), ldc_i = to_int(ldc, "ldc");
  if (batch == 1) {
    LRE_CUBLAS_CHECK(cublasGemmEx(handle, op_b, op_a, in, im, ik, &alpha, b.data, type, ldb, a.data, type, lda, &beta, c,
                                  c_type, ldc_i, compute, CUBLAS_GEMM_DEFAULT));
    return;
  }
  LRE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(handle, op_b, op_a, in, im, ik, &alpha, b.data, type, ldb, b.batch_stride,
                                              a.data, type, lda, a.batch_stride, &beta, c, c_type, ldc_i, c_stride,
                                              to_int(batch, "batch"), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace lre::cuda
