// The row-wise building blocks the Whisper encoder and decoder share on the CPU: Linear, layer norm
// and exact (erf) GELU. Activations are row-major (rows, features).
#pragma once

#include <cstdint>

#include "asr/whisper_weights.h"
#include "core/thread_pool.h"

namespace lre::asr {

// y (rows, l.out) = alpha * (x (rows, l.in) W^T + b), added to y's old contents when `accumulate`:
// the residual connections fold into the product instead of a separate pass. Many rows go through
// the SGEMM kernel; a decode step's few rows take dot products along W's stored rows.
void linear(const float* x, int64_t rows, const Linear& l, float* y, ThreadPool* pool, float alpha = 1.f,
            bool accumulate = false);

// y = layer_norm(x) * weight + bias over each row of (rows, d); y may be x.
void layer_norm(const float* x, int64_t rows, int64_t d, const LayerNormWeights& ln, float eps, float* y,
                ThreadPool* pool);

// x = 0.5 x (1 + erf(x / sqrt 2)) in place: Whisper's "gelu" is the exact form, not the tanh one.
void gelu(float* x, int64_t n, ThreadPool* pool);

}  // namespace lre::asr
