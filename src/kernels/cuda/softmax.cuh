// Launcher of the CUDA softmax and log-softmax kernels over the middle axis of a tensor viewed as
// (outer, n, inner), the layout every ONNX Softmax axis reduces to. Plain C++ can include this
// header; the launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// y = softmax(x) (or log_softmax when `log`) along n for x and y (outer, n, inner) of dtype
// (Float32, Float16 or BFloat16; arithmetic in float32). Max-subtracted, so large inputs do not
// overflow; a row holding NaN or +inf, or only -inf, gives NaN throughout, as the CPU kernel does.
// x and y may be the same pointer; empty tensors launch nothing.
void launch_softmax(DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner, bool log,
                    cudaStream_t stream);

}  // namespace lre::cuda
