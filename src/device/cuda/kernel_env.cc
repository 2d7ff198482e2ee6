// KernelEnv: handles made lazily (a context that runs no gemm never pays for cuBLAS), each bound
// to the context's stream with its own workspace so that graph capture never sees an allocation.
#include "device/cuda/kernel_env.h"

#include "device/cuda/cuda_check.h"

namespace lre::cuda {

namespace {
// cuBLAS asks for up to 32 MiB on Hopper for its best kernels; with a workspace of its own it
// never allocates inside a run (which would break CUDA graph capture).
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;
}  // namespace

KernelEnv::KernelEnv(cudaStream_t stream, DevicePool& pool, TuningTable& tuning)
    : stream_(stream), pool_(pool), tuning_(tuning) {}

KernelEnv::~KernelEnv() {
  if (cublas_) (void)cublasDestroy(cublas_);
  if (cudnn_) (void)cudnnDestroy(cudnn_);
}

cublasHandle_t KernelEnv::cublas() {
  if (!cublas_) {
    LRE_CUBLAS_CHECK(cublasCreate(&cublas_));
    LRE_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    cublas_workspace_ = DeviceBuffer(pool_, kCublasWorkspaceBytes, stream_);
    LRE_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_.data(), cublas_workspace_.size()));
  }
  return cublas_;
}

cudnnHandle_t KernelEnv::cudnn() {
  if (!cudnn_) {
    LRE_CUDNN_CHECK(cudnnCreate(&cudnn_));
    LRE_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
  }
  return cudnn_;
}

void* KernelEnv::workspace(size_t bytes) {
  if (workspace_.size() < bytes) {
    workspace_.reset();
    workspace_ = DeviceBuffer(pool_, bytes, stream_);
  }
  return workspace_.data();
}

}  // namespace lre::cuda
