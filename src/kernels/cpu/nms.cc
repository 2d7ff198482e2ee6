// Non-max suppression kernel: (batch, class) pairs are independent and run in parallel; each sorts
// its candidates once (score descending, lower index first on ties) and suppresses greedily.
#include "kernels/cpu/nms.h"

#include <algorithm>

#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

struct Corners {
  float y1, x1, y2, x2;  // y1 <= y2, x1 <= x2
};

Corners corners(const float* b, bool center) {
  if (center) {
    float hw = b[2] / 2, hh = b[3] / 2;
    return {b[1] - hh, b[0] - hw, b[1] + hh, b[0] + hw};
  }
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

bool overlaps(const Corners& a, const Corners& b, float threshold) {
  float ix1 = std::max(a.x1, b.x1), iy1 = std::max(a.y1, b.y1);
  float ix2 = std::min(a.x2, b.x2), iy2 = std::min(a.y2, b.y2);
  if (ix2 <= ix1 || iy2 <= iy1) return false;
  float area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  if (area_a <= 0 || area_b <= 0) return false;
  float inter = (ix2 - ix1) * (iy2 - iy1);
  float uni = area_a + area_b - inter;
  if (uni <= 0) return false;
  return inter / uni > threshold;
}

}  // namespace

std::vector<int64_t> non_max_suppression(const float* boxes, const float* scores, int64_t batches, int64_t classes,
                                         int64_t spatial, const NmsParams& p, ThreadPool* pool) {
  std::vector<std::vector<int64_t>> kept(static_cast<size_t>(batches * classes));
  if (p.max_per_class > 0) {
    maybe_parallel(pool, batches * classes, 1, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> order;
      std::vector<Corners> chosen;
      for (int64_t q = begin; q < end; ++q) {
        const int64_t b = q / classes;
        const float* s = scores + q * spatial;
        const float* bx = boxes + b * spatial * 4;
        order.clear();
        for (int64_t i = 0; i < spatial; ++i)
          if (!p.has_score_threshold || s[i] > p.score_threshold) order.push_back(i);
        std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return s[l] > s[r]; });
        chosen.clear();
        std::vector<int64_t>& out = kept[static_cast<size_t>(q)];
        for (int64_t i : order) {
          if (static_cast<int64_t>(out.size()) >= p.max_per_class) break;
          Corners c = corners(bx + i * 4, p.center_point_box);
          bool suppressed = false;
          for (const Corners& k : chosen)
            if (overlaps(c, k, p.iou_threshold)) {
              suppressed = true;
              break;
            }
          if (suppressed) continue;
          chosen.push_back(c);
          out.push_back(i);
        }
      }
    });
  }
  std::vector<int64_t> result;
  for (int64_t q = 0; q < batches * classes; ++q)
    for (int64_t i : kept[static_cast<size_t>(q)]) result.insert(result.end(), {q / classes, q % classes, i});
  return result;
}

}  // namespace lre::cpu
