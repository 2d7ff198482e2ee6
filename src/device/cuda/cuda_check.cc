// Builds the lre::Error thrown by LRE_CUDA_CHECK, LRE_CUBLAS_CHECK and LRE_CUDNN_CHECK. Kept out of line so the
// macros expand to a compare and a call, not to string building at every call site.
#include "device/cuda/cuda_check.h"

#include <string>

#include "lre/error.h"

namespace lre::cuda {

namespace {

std::string where(const char* expr, const char* file, int line) {
  return std::string(expr) + " at " + file + ":" + std::to_string(line);
}

}  // namespace

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  // The runtime also keeps a failed call's status as the thread's "last error", which the next
  // launch check would read and blame on an innocent kernel. It is reported here, so clear it
  // (sticky errors, which poison the context, stay whatever we do).
  static_cast<void>(cudaGetLastError());
  const ErrorCode code = status == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Device;
  throw Error(code, "CUDA error in " + where(expr, file, line) + ": " + cudaGetErrorName(status) + ": " +
                        cudaGetErrorString(status));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  const ErrorCode code = status == CUBLAS_STATUS_ALLOC_FAILED ? ErrorCode::OutOfMemory : ErrorCode::Device;
  throw Error(code, "cuBLAS error in " + where(expr, file, line) + ": " + cublasGetStatusName(status) + ": " +
                        cublasGetStatusString(status));
}

void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line) {
  const ErrorCode code = status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED || status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED
                               ? ErrorCode::OutOfMemory
                                : ErrorCode::Device;
  throw Error(code, "cuDNN error in " + where(expr, file, line) + ": " + cudnnGetErrorString(status));
}

}  // namespace lre::cuda
