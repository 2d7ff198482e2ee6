// RoiAlign arithmetic (ONNX opsets 10 and 16, as ONNX Runtime computes it): each output bin
// averages (or maxes) bilinear samples on a regular grid inside its region of interest.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

struct RoiAlignParams {
  int64_t out_h = 1, out_w = 1;
  int64_t sampling_ratio = 0;  // samples per bin side; 0: ceil(roi side / bins)
  float spatial_scale = 1;
  bool half_pixel = true;  // opset 16 default; false is opset 10's output_half_pixel
  bool max_mode = false;   // max of weighted corner values, as ONNX Runtime defines it
};

// x: (n, c, h, w); rois: (num_rois, 4) as (x1, y1, x2, y2); batch_index: (num_rois), each in [0, n);
// y: (num_rois, c, out_h, out_w). Computes in float (double for double).
template <typename T>
void roi_align(const T* x, const T* rois, const int64_t* batch_index, T* y, int64_t c, int64_t h, int64_t w,
               int64_t num_rois, const RoiAlignParams& p, ThreadPool* pool);

}  // namespace lre::cpu
