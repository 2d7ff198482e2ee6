// Launcher of the CUDA activations that take parameters (the ONNX LeakyRelu family, Clip, Shrink,
// and GELU in its exact and tanh forms). Plain C++ can include this header (no device code, no
// framework types); the launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

#define LRE_CUDA_ACTIVATION_OPS(X) \
  X(LeakyRelu) X(Elu) X(Selu) X(Celu) X(HardSigmoid) X(ThresholdedRelu) X(Clip) X(Gelu) X(GeluTanh) X(Shrink)

#define LRE_CUDA_ENUM_ENTRY(name) name,
enum class ActivationOp { LRE_CUDA_ACTIVATION_OPS(LRE_CUDA_ENUM_ENTRY) };
#undef LRE_CUDA_ENUM_ENTRY

const char* activation_op_name(ActivationOp op);

// What each field means per op (ONNX attribute names and defaults in brackets, where ONNX has them):
//   LeakyRelu        x < 0 ? alpha * x : x                                  alpha [alpha 0.01]
//   Elu              x < 0 ? alpha * (e^x - 1) : x                          alpha [alpha 1]
//   Selu             x <= 0 ? gamma * alpha * (e^x - 1) : gamma * x         alpha [alpha 1.6733], gamma [gamma 1.0507]
//   Celu             max(0, x) + min(0, alpha * (e^(x/alpha) - 1))          alpha [alpha 1]
//   HardSigmoid      max(0, min(1, alpha * x + beta))                       alpha [alpha 0.2], beta [beta 0.5]
//   ThresholdedRelu  x > alpha ? x : 0                                      alpha [alpha 1]
//   Clip             min(max(x, alpha), beta); NaN stays NaN                alpha = min, beta = max (-inf / +inf for none)
//   Gelu             x / 2 * (1 + erf(x / sqrt 2)): ONNX Gelu, com.microsoft Gelu; no parameters
//   GeluTanh         x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))): ONNX Gelu approximate="tanh",
//                    com.microsoft FastGelu; no parameters
//   Shrink           x < -alpha ? x + beta : x > alpha ? x - beta : 0       alpha [lambd 0.5], beta [bias 0]
struct ActivationParams {
  float alpha = 0, beta = 0, gamma = 0;
};

// The parameters an ONNX node of `op` has when it sets no attribute (for Clip: no bounds).
ActivationParams activation_defaults(ActivationOp op);

// y[i] = op(x[i]) for n elements of dtype (Float32, Float16 or BFloat16; arithmetic in float32).
// x and y may be the same pointer.
void launch_activation(ActivationOp op, const ActivationParams& p, DType dtype, const void* x, void* y, int64_t n,
                       cudaStream_t stream);

}  // namespace lre::cuda
