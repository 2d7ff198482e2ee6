// Static memory planning: buffers with known sizes and lifetimes (node-index intervals) are packed
// into one arena so that buffers whose lifetimes do not overlap share memory.
#pragma once

#include <cstddef>
#include <vector>

namespace lre {

struct BufferRequest {
  size_t bytes = 0;
  int first = 0;  // index of the node that writes the buffer
  int last = 0;   // index of the last node that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, in bytes from the arena start
  size_t total = 0;             // arena size
};

// Greedy best-fit by decreasing size; every offset is a multiple of `alignment`.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment = 64);

}  // namespace lre
