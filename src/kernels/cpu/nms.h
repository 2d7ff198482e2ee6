// Non-max suppression (ONNX NonMaxSuppression, as ONNX Runtime orders and compares): per batch and
// class, greedily keep the highest-scoring boxes that overlap no kept box by more than a threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

struct NmsParams {
  bool center_point_box = false;  // boxes are (x_center, y_center, w, h), else (y1, x1, y2, x2) corners
  int64_t max_per_class = 0;
  float iou_threshold = 0;
  bool has_score_threshold = false;
  float score_threshold = 0;  // boxes need a score strictly above it
};

// boxes: (batches, spatial, 4); scores: (batches, classes, spatial). Returns the selected
// (batch, class, box) triples flattened, batch-major, then class, then selection order.
std::vector<int64_t> non_max_suppression(const float* boxes, const float* scores, int64_t batches, int64_t classes,
                                         int64_t spatial, const NmsParams& p, ThreadPool* pool);

}  // namespace lre::cpu
