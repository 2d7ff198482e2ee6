// Programmatic dependent launch (sm_90 and later): a kernel launched this way may start while the
// kernel before it on the stream is still running, so its blocks can load what does not depend on
// that kernel (weights, the encoder's keys and values) during the other's tail, instead of after a
// full drain and launch. A decode step is a chain of short kernels, each latency-bound, so this
// overlap is most of what the chain can gain.
//
// The contract every kernel launched through launch_overlapped keeps:
//   - call allow_dependent_grids() early (the next kernel may then be scheduled as resources free);
//   - call wait_for_prior_grids() in every block before reading anything an earlier kernel of the
//     stream writes and before writing anything an earlier kernel reads; it returns once all
//     earlier work of the stream has completed and its writes are visible. Since every kernel of a
//     chain waits, waiting covers the whole chain, not only the kernel just before.
// Device code built for an older architecture has neither instruction, so those launches fall back
// to plain stream order (the launchers check what the kernel was compiled for, not the device).
#pragma once

#include <cuda_runtime.h>

#include "device/cuda/cuda_check.h"

namespace lre::cuda {

__device__ __forceinline__ void allow_dependent_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

__device__ __forceinline__ void wait_for_prior_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Asks L2 to fetch the 128-byte line holding p (no registers held, nothing waits on it).
__device__ __forceinline__ void prefetch_l2(const void* p) {
  asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

// Lets Kernel take up to `bytes` of dynamic shared memory (past the default 48 KiB, the opt-in is
// required, once per kernel).
template <auto Kernel>
void allow_shared_memory(size_t bytes) {
  static const cudaError_t opted =
      cudaFuncSetAttribute(Kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  LRE_CUDA_CHECK(opted);
}

// Whether Kernel was compiled with the wait, for the current device: device code for sm_90 or
// later (ptxVersion is the architecture the code was compiled for: a kernel JIT-compiled from
// older PTX has a newer binaryVersion but no wait in it).
template <auto Kernel>
bool waits_for_prior_grids() {
  static const bool waits = [] {
    cudaFuncAttributes attributes{};
    LRE_CUDA_CHECK(cudaFuncGetAttributes(&attributes, Kernel));
    return attributes.ptxVersion >= 90 && attributes.binaryVersion >= 90;
  }();
  return waits;
}

// Launches Kernel<<<grid, block, smem, stream>>>(args...), allowed to overlap the previous kernel
// of the stream where the kernel was compiled with the wait.
template <auto Kernel, typename... Args>
void launch_overlapped(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Args... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = waits_for_prior_grids<Kernel>() ? 1 : 0;
  LRE_CUDA_CHECK(cudaLaunchKernelEx(&config, Kernel, args...));
}

}  // namespace lre::cuda
