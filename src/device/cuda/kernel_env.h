// What a CUDA kernel needs from the context that runs it: the stream, the context's own cuBLAS
// and cuDNN handles (bound to that stream), and a scratch workspace. One KernelEnv per context,
// so two contexts never share a handle and no call ever needs a lock.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include <cublas_v2.h>
#include <cudnn.h>
#include <cuda_runtime_api.h>

#include "device/cuda/device_pool.h"

namespace lre::cuda {

class KernelEnv {
 public:
  KernelEnv(cudaStream_t stream, DevicePool& pool);
  ~KernelEnv();
  KernelEnv(const KernelEnv&) = delete;
  KernelEnv& operator=(const KernelEnv&) = delete;

  cudaStream_t stream() const { return stream_; }
  DevicePool& pool() const { return pool_; }
  cublasHandle_t cublas();  // created on first use, bound to stream()
  cudnnHandle_t cudnn();    // created on first use, bound to stream()

  // Scratch of at least `bytes`, valid for work enqueued before the next call. Growing frees the
  // old block stream-ordered, so it happens during the first run of a shape, never in steady state.
  void* workspace(size_t bytes);

  // Tuning results of this context (a chosen convolution algorithm per problem), keyed by a
  // string that describes the problem completely; -1 when not yet chosen.
  int tuned(const std::string& key) const;
  void set_tuned(const std::string& key, int choice) { tuned_[key] = choice; }

 private:
  cudaStream_t stream_;
  DevicePool& pool_;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  DeviceBuffer workspace_;
  DeviceBuffer cublas_workspace_;
  std::map<std::string, int> tuned_;
};

}  // namespace lre::cuda
