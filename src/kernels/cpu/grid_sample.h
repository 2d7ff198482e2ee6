// GridSample arithmetic (ONNX opset 16, PyTorch's grid_sample semantics): each output point samples
// the input at a normalised (x, y) grid location with bilinear, nearest or bicubic interpolation.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

enum class GridSampleMode { Bilinear, Nearest, Bicubic };
enum class GridSamplePadding { Zeros, Border, Reflection };

struct GridSampleParams {
  GridSampleMode mode = GridSampleMode::Bilinear;
  GridSamplePadding padding = GridSamplePadding::Zeros;
  bool align_corners = false;
};

// x: (n, c, h, w); grid: (n, out_h, out_w, 2) holding (x, y) in [-1, 1]; y: (n, c, out_h, out_w).
// Computes in float (double for double).
template <typename T>
void grid_sample_2d(const T* x, const T* grid, T* y, int64_t n, int64_t c, int64_t h, int64_t w, int64_t out_h,
                    int64_t out_w, const GridSampleParams& p, ThreadPool* pool);

}  // namespace lre::cpu
