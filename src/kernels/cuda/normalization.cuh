// Launchers of the CUDA normalisation kernels: layer, batch (inference) and instance
// normalisation. Plain C++ can include this header (no device code, no framework types); every
// launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// Each row of x (rows, cols) normalised with its mean and biased variance (as ONNX
// LayerNormalization), then y = norm * scale[col] + bias[col]. scale and bias (cols) have x's dtype;
// bias may be null. Dtype Float32, Float16 or BFloat16; statistics in float32.
void launch_layer_norm(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                       int64_t cols, float eps, cudaStream_t stream);

// Inference-mode batch normalisation of x (n, channels, spatial) with given statistics:
// y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c]. The four parameter vectors
// (channels) have x's dtype (Float32, Float16 or BFloat16).
void launch_batch_norm(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* var, void* y, int64_t n, int64_t channels, int64_t spatial, float eps,
                       cudaStream_t stream);

// Each (n, channel) plane of x (n, channels, spatial) normalised with its own mean and biased
// variance, then scale[c] and bias[c] (channels, x's dtype, neither null) applied.
void launch_instance_norm(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t n,
                          int64_t channels, int64_t spatial, float eps, cudaStream_t stream);

}  // namespace lre::cuda
