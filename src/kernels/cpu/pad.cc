// Pad works row by row along the last axis: a row maps to one input row (or to the constant), its
// inside part is one memcpy and only the border elements are mapped one at a time.
#include "kernels/cpu/pad.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/element_bytes.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

// Input coordinate for position c (which may lie outside [0, n)); -1 when the constant applies.
inline int64_t map_coord(int64_t c, int64_t n, PadMode mode) {
  if (c >= 0 && c < n) return c;
  switch (mode) {
    case PadMode::Constant: return -1;
    case PadMode::Edge: return c < 0 ? 0 : n - 1;
    case PadMode::Wrap: return (c % n + n) % n;
    case PadMode::Reflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      c = (c % period + period) % period;
      return c < n ? c : period - c;
    }
  }
  return -1;
}

}  // namespace

void pad(const void* in, const Shape& in_shape, void* out, const Shape& out_shape, const std::vector<int64_t>& begin,
         PadMode mode, const void* value, size_t elem_bytes, ThreadPool* pool) {
  if (shape_numel(out_shape) == 0) return;
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    T fill;
    std::memcpy(&fill, value, sizeof(T));
    const size_t rank = out_shape.size();
    if (rank == 0) {
      *dst = *src;
      return;
    }
    const size_t last = rank - 1;
    const int64_t out_n = out_shape[last], in_n = in_shape[last], b = begin[last];
    std::vector<int64_t> in_strides(rank);
    int64_t acc = 1;
    for (size_t d = rank; d-- > 0;) {
      in_strides[d] = acc;
      acc *= in_shape[d];
    }
    const int64_t rows = shape_numel(out_shape) / out_n;
    // The inside part of every row: out [lo, hi) reads in [lo - b, hi - b).
    const int64_t lo = std::clamp<int64_t>(b, 0, out_n), hi = std::clamp<int64_t>(b + in_n, lo, out_n);
    maybe_parallel(pool, rows, std::max<int64_t>(1, (1 << 15) / out_n), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* row = dst + r * out_n;
        int64_t rest = r, off = 0;
        bool constant_row = false;
        for (size_t d = last; d-- > 0;) {
          const int64_t c = map_coord(rest % out_shape[d] - begin[d], in_shape[d], mode);
          rest /= out_shape[d];
          if (c < 0) constant_row = true;
          else off += c * in_strides[d];
        }
        if (constant_row) {
          std::fill(row, row + out_n, fill);
          continue;
        }
        const T* src_row = src + off;
        if (hi > lo) std::memcpy(row + lo, src_row + (lo - b), static_cast<size_t>(hi - lo) * sizeof(T));
        for (int64_t j = 0; j < out_n; ++j) {
          if (j == lo && hi > lo) j = hi;
          if (j >= out_n) break;
          const int64_t c = map_coord(j - b, in_n, mode);
          row[j] = c < 0 ? fill : src_row[c];
        }
      }
    });
  });
}

}  // namespace lre::cpu
