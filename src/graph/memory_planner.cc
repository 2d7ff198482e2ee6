// Placing big buffers first, each at the lowest offset that does not collide with an already
// placed buffer of overlapping lifetime, is the usual near-optimal heuristic for this
// (NP-hard) packing problem and is what production planners (TFLite's, ORT's) do as well.
#include "graph/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace lre {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

  struct Placed { size_t offset, end; int first, last; };
  std::vector<Placed> placed;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    size_t bytes = (r.bytes + alignment - 1) / alignment * alignment;
    if (bytes == 0) continue;
    // Intervals already taken by buffers alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (const Placed& p : placed)
      if (p.first <= r.last && r.first <= p.last) busy.emplace_back(p.offset, p.end);
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= cursor + bytes && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[idx] = best;
    placed.push_back({best, best + bytes, r.first, r.last});
    plan.total = std::max(plan.total, best + bytes);
  }
  return plan;
}

}  // namespace lre
