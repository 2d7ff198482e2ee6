// Convolution and transposed convolution over N spatial dimensions: im2col + SGEMM per group,
// a direct sliding-window path for depthwise convolution, and col2im for the transpose.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/sliding_window.h"

namespace lre::cpu {

// y (batch, out_channels, g.out...) = conv(x (batch, channels, g.in...), w (out_channels,
// channels / group, g.kernel...)) + bias (out_channels, may be null).
void conv_f32(const float* x, const float* w, const float* bias, float* y, int64_t batch, int64_t channels,
              int64_t out_channels, int64_t group, const WindowGeometry& g, ThreadPool* pool);

// The same for integers (ConvInteger): operands already widened with their zero points removed.
void conv_i32(const int32_t* x, const int32_t* w, int32_t* y, int64_t batch, int64_t channels, int64_t out_channels,
              int64_t group, const WindowGeometry& g, ThreadPool* pool);

// y (batch, out_channels, g.in...) = conv_transpose(x (batch, channels, g.out...), w (channels,
// out_channels / group, g.kernel...)) + bias: the adjoint of conv_f32 with the same geometry, so
// g.in holds the output's spatial sizes (padding already taken off) and g.out the input's.
void conv_transpose_f32(const float* x, const float* w, const float* bias, float* y, int64_t batch,
                        int64_t channels, int64_t out_channels, int64_t group, const WindowGeometry& g,
                        ThreadPool* pool);

}  // namespace lre::cpu
