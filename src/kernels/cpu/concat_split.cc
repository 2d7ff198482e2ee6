// The work is split over (outer block, piece) pairs, so both many small pieces (concat along the
// last axis) and a few big ones (concat along the first axis) spread over the pool.
#include "kernels/cpu/concat_split.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kGrainBytes = 1 << 17;

// Calls copy(piece, dst_offset_bytes, src_offset_bytes, bytes) for every (outer block, piece), where
// offsets are into the joined tensor and into the piece.
template <typename F>
void for_each_piece(const std::vector<int64_t>& axis_sizes, int64_t outer, int64_t inner, size_t elem_bytes,
                    ThreadPool* pool, F&& copy) {
  const int64_t pieces = static_cast<int64_t>(axis_sizes.size());
  std::vector<int64_t> start(axis_sizes.size() + 1, 0);
  for (size_t i = 0; i < axis_sizes.size(); ++i) start[i + 1] = start[i] + axis_sizes[i];
  const int64_t row_bytes = start.back() * inner * static_cast<int64_t>(elem_bytes);
  if (row_bytes == 0) return;
  maybe_parallel(pool, outer * pieces, std::max<int64_t>(1, kGrainBytes * pieces / row_bytes), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t o = t / pieces, i = t % pieces;
      const size_t bytes = static_cast<size_t>(axis_sizes[i] * inner) * elem_bytes;
      if (bytes == 0) continue;
      copy(i, static_cast<size_t>(o * row_bytes + start[i] * inner * static_cast<int64_t>(elem_bytes)), o * bytes, bytes);
    }
  });
}

}  // namespace

void concat(const std::vector<const void*>& inputs, const std::vector<int64_t>& axis_sizes, void* out, int64_t outer,
            int64_t inner, size_t elem_bytes, ThreadPool* pool) {
  for_each_piece(axis_sizes, outer, inner, elem_bytes, pool, [&](int64_t i, size_t joined, size_t piece, size_t bytes) {
    std::memcpy(static_cast<char*>(out) + joined, static_cast<const char*>(inputs[static_cast<size_t>(i)]) + piece, bytes);
  });
}

void split(const void* in, const std::vector<void*>& outputs, const std::vector<int64_t>& axis_sizes, int64_t outer,
           int64_t inner, size_t elem_bytes, ThreadPool* pool) {
  for_each_piece(axis_sizes, outer, inner, elem_bytes, pool, [&](int64_t i, size_t joined, size_t piece, size_t bytes) {
    if (void* dst = outputs[static_cast<size_t>(i)]) std::memcpy(static_cast<char*>(dst) + piece, static_cast<const char*>(in) + joined, bytes);
  });
}

}  // namespace lre::cpu
