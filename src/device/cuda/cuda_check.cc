// Builds the lre::Error thrown by LRE_CUDA_CHECK, LRE_CUBLAS_CHECK, LRE_CUDNN_CHECK and LRE_CUFFT_CHECK. Kept out of line so the
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

void throw_cufft_error(cufftResult status, const char* expr, const char* file, int line) {
  // cuFFT has no status-string function of its own.
  const char* name = "unknown cufftResult";
  switch (status) {
    case CUFFT_SUCCESS: name = "CUFFT_SUCCESS"; break;
    case CUFFT_INVALID_PLAN: name = "CUFFT_INVALID_PLAN"; break;
    case CUFFT_ALLOC_FAILED: name = "CUFFT_ALLOC_FAILED"; break;
    case CUFFT_INVALID_TYPE: name = "CUFFT_INVALID_TYPE"; break;
    case CUFFT_INVALID_VALUE: name = "CUFFT_INVALID_VALUE"; break;
    case CUFFT_INTERNAL_ERROR: name = "CUFFT_INTERNAL_ERROR"; break;
    case CUFFT_EXEC_FAILED: name = "CUFFT_EXEC_FAILED"; break;
    case CUFFT_SETUP_FAILED: name = "CUFFT_SETUP_FAILED"; break;
    case CUFFT_INVALID_SIZE: name = "CUFFT_INVALID_SIZE"; break;
    case CUFFT_UNALIGNED_DATA: name = "CUFFT_UNALIGNED_DATA"; break;
    case CUFFT_INVALID_DEVICE: name = "CUFFT_INVALID_DEVICE"; break;
    case CUFFT_NO_WORKSPACE: name = "CUFFT_NO_WORKSPACE"; break;
    case CUFFT_NOT_IMPLEMENTED: name = "CUFFT_NOT_IMPLEMENTED"; break;
    case CUFFT_NOT_SUPPORTED: name = "CUFFT_NOT_SUPPORTED"; break;
    case CUFFT_MISSING_DEPENDENCY: name = "CUFFT_MISSING_DEPENDENCY"; break;
    case CUFFT_NVRTC_FAILURE: name = "CUFFT_NVRTC_FAILURE"; break;
    case CUFFT_NVJITLINK_FAILURE: name = "CUFFT_NVJITLINK_FAILURE"; break;
    case CUFFT_NVSHMEM_FAILURE: name = "CUFFT_NVSHMEM_FAILURE"; break;
  }
  const ErrorCode code = status == CUFFT_ALLOC_FAILED ? ErrorCode::OutOfMemory : ErrorCode::Device;
  throw Error(code, "cuFFT error in " + where(expr, file, line) + ": " + name + " (" +
                        std::to_string(static_cast<int>(status)) + ")");
}

}  // namespace lre::cuda
