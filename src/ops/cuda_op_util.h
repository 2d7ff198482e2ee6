// Helpers for the compute_cuda() side of ops (included only in CUDA builds): dtype support
// checks and the device copies that shape-only ops reduce to.
#pragma once

#include <vector>

#include <cuda_runtime_api.h>

#include "device/cuda/cuda_check.h"
#include "device/cuda/kernel_env.h"
#include "ops/kernel.h"

namespace lre {

// The float dtypes every CUDA math kernel takes (arithmetic in float32).
inline bool cuda_float(DType d) { return d == DType::Float32 || d == DType::Float16 || d == DType::BFloat16; }

inline cudaStream_t stream_of(const KernelContext& ctx) { return ctx.cuda->stream(); }

// Inputs for an op's shape rules on the device: host copies where the runtime has them (shape
// values such as Slice's starts), device tensors (read for their shapes only) elsewhere.
inline std::vector<const Tensor*> shape_rule_inputs(const KernelContext& ctx) {
  std::vector<const Tensor*> in(ctx.inputs.begin(), ctx.inputs.end());
  for (size_t i = 0; i < in.size(); ++i)
    if (const Tensor* h = ctx.host_in(i)) in[i] = h;
  return in;
}

// Output 0 = input 0, byte for byte, on the context's stream.
inline void device_copy_input(KernelContext& ctx) {
  if (ctx.in(0).nbytes())
    LRE_CUDA_CHECK(cudaMemcpyAsync(ctx.out(0).raw(), ctx.in(0).raw(), ctx.in(0).nbytes(), cudaMemcpyDeviceToDevice,
                                   stream_of(ctx)));
}

}  // namespace lre
