// Helpers for the compute_cuda() side of ops (included only in CUDA builds): dtype support
// checks and the device copies that shape-only ops reduce to.
#pragma once

#include <cuda_runtime_api.h>

#include "device/cuda/cuda_check.h"
#include "device/cuda/kernel_env.h"
#include "ops/kernel.h"

namespace lre {

// The float dtypes every CUDA math kernel takes (arithmetic in float32).
inline bool cuda_float(DType d) { return d == DType::Float32 || d == DType::Float16 || d == DType::BFloat16; }

inline cudaStream_t stream_of(const KernelContext& ctx) { return ctx.cuda->stream(); }

// Output 0 = input 0, byte for byte, on the context's stream.
inline void device_copy_input(KernelContext& ctx) {
  if (ctx.in(0).nbytes())
    LRE_CUDA_CHECK(cudaMemcpyAsync(ctx.out(0).raw(), ctx.in(0).raw(), ctx.in(0).nbytes(), cudaMemcpyDeviceToDevice,
                                   stream_of(ctx)));
}

}  // namespace lre
