// Checks for every CUDA runtime, cuBLAS, cuDNN and cuFFT call: a failure becomes lre::Error naming the call, the
// file:line it was made at and CUDA's own description, so no status code is ever dropped. Out of
// memory has its own code (OutOfMemory) because callers react to it differently (smaller batch).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <cufft.h>

namespace lre::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cufft_error(cufftResult status, const char* expr, const char* file, int line);

}  // namespace lre::cuda

#define LRE_CUDA_CHECK(expr)                                                         \
  do {                                                                               \
    const cudaError_t lre_cuda_status_ = (expr);                                     \
    if (lre_cuda_status_ != cudaSuccess)                                             \
      ::lre::cuda::throw_cuda_error(lre_cuda_status_, #expr, __FILE__, __LINE__);    \
  } while (0)

// After every <<<...>>> launch: configuration errors (too many threads, bad shared memory size,
// no kernel image for this GPU) are reported only here, never by the launch itself.
#define LRE_CUDA_CHECK_LAUNCH()                                                      \
  do {                                                                               \
    const cudaError_t lre_cuda_status_ = cudaGetLastError();                         \
    if (lre_cuda_status_ != cudaSuccess)                                             \
      ::lre::cuda::throw_cuda_error(lre_cuda_status_, "kernel launch", __FILE__, __LINE__); \
  } while (0)

#define LRE_CUBLAS_CHECK(expr)                                                       \
  do {                                                                               \
    const cublasStatus_t lre_cublas_status_ = (expr);                                \
    if (lre_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                 \
      ::lre::cuda::throw_cublas_error(lre_cublas_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define LRE_CUDNN_CHECK(expr)                                                        \
  do {                                                                               \
    const cudnnStatus_t lre_cudnn_status_ = (expr);                                  \
    if (lre_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                   \
      ::lre::cuda::throw_cudnn_error(lre_cudnn_status_, #expr, __FILE__, __LINE__);  \
  } while (0)

#define LRE_CUFFT_CHECK(expr)                                                        \
  do {                                                                               \
    const cufftResult lre_cufft_status_ = (expr);                                    \
    if (lre_cufft_status_ != CUFFT_SUCCESS)                                          \
      ::lre::cuda::throw_cufft_error(lre_cufft_status_, #expr, __FILE__, __LINE__);  \
  } while (0)
