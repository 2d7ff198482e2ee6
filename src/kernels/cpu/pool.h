// Pooling over N spatial dimensions: max (with argmax indices), average and Lp norms of sliding
// windows. Global pooling is the same with one window covering the whole plane.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/sliding_window.h"

namespace lre::cpu {

// y (planes, g.out...) = max over each window of x (planes, g.in...); padding never wins.
// indices (may be null) get the flat input index of each maximum, counting from the tensor's
// start, in row-major or (col_major) column-major order within a plane. T: float, double, int8,
// uint8.
template <typename T>
void max_pool(const T* x, T* y, int64_t* indices, int64_t planes, const WindowGeometry& g, bool col_major,
              ThreadPool* pool);

// Window means; count_include_pad divides by the taps inside the padded input (pads_begin and
// pads_end), otherwise by the taps inside the input only.
void average_pool_f32(const float* x, float* y, int64_t planes, const WindowGeometry& g, bool count_include_pad,
                      ThreadPool* pool);

// (sum over the window of |x|^p)^(1/p); padding adds nothing.
void lp_pool_f32(const float* x, float* y, int64_t planes, const WindowGeometry& g, float p, ThreadPool* pool);

}  // namespace lre::cpu
