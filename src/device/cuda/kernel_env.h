// What a CUDA kernel needs from the context that runs it: the stream, the context's own cuBLAS
// and cuDNN handles (bound to that stream), a scratch workspace, and the engine's tuning table.
// One KernelEnv per context, so two contexts never share a handle; only the tuning table, which
// locks, is shared.
#pragma once

#include <cstddef>
#include <string>

#include <cublas_v2.h>
#include <cudnn.h>
#include <cuda_runtime_api.h>

#include "device/cuda/device_pool.h"
#include "engine/tuning_table.h"

namespace lre::cuda {

class KernelEnv {
 public:
  // `tuning` is the engine's, outlives the context and is shared with its other contexts.
  KernelEnv(cudaStream_t stream, DevicePool& pool, TuningTable& tuning);
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

  // Tuning results (a chosen convolution algorithm per problem), keyed by a string that describes
  // the problem completely; -1 when not yet chosen. A choice made here serves every context of
  // the engine and is saved with the engine cache entry.
  int tuned(const std::string& key) const { return tuning_.find(key); }
  void set_tuned(const std::string& key, int choice) { tuning_.put(key, choice); }

 private:
  cudaStream_t stream_;
  DevicePool& pool_;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  DeviceBuffer workspace_;
  DeviceBuffer cublas_workspace_;
  TuningTable& tuning_;
};

}  // namespace lre::cuda
