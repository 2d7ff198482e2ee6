// Integer matrix multiply and convolution on 8-bit operands, the core of QLinearMatMul,
// QLinearConv and ConvInteger: operands are centred on their zero points into int16 (so padding
// and zero points cost nothing in the inner loop) and multiplied with int32 accumulation.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

// c (m, n) = a (m, k) * b (k, n), row-major, int32 accumulation.
void gemm_s16(int64_t m, int64_t n, int64_t k, const int16_t* a, const int16_t* b, int32_t* c, ThreadPool* pool);

// dst[i] = src[i] - zero_point[i / group_size] for an 8-bit src (group_size = elements per zero point).
template <typename Q>
void center_int8(const Q* src, int64_t n, const int32_t* zero_point, int64_t group_size, int16_t* dst);

// dst[i, j] = src[i, j] - zero_point[j] for an 8-bit (rows, cols) matrix: per-column zero points.
template <typename Q>
void center_int8_columns(const Q* src, int64_t rows, int64_t cols, const int32_t* zero_point, int16_t* dst);

struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  std::vector<int64_t> in_size, out_size, kernel, strides, dilations, pads_begin;  // per spatial dim
};

// y (batch, out_channels, out...) int32 = sum over (c, kernel offset) of (x - x_zero_point) * w,
// with x (batch, in_channels, in...) and w (out_channels, in_channels / group, kernel...) already
// centred. Padding contributes zero.
template <typename Q>
void conv_integer(const ConvGeometry& g, const Q* x, int32_t x_zero_point, const int16_t* w, int32_t* y,
                  ThreadPool* pool);

// y[o, i, j] = saturate(round((acc[o, i, j] + bias[i]) * row_scale[i] * col_scale[j]) + zero_point)
// over (outer, rows, cols); bias and col_scale may be null. Q is uint8_t or int8_t.
template <typename Q>
void requantize(const int32_t* acc, int64_t outer, int64_t rows, int64_t cols, const int32_t* bias,
                const float* row_scale, const float* col_scale, float zero_point, Q* y, ThreadPool* pool);

}  // namespace lre::cpu
