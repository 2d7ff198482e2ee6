// The geometry of a sliding window over N spatial dimensions, shared by convolution, transposed
// convolution and pooling kernels: sizes, strides, dilations and the leading padding.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lre::cpu {

struct WindowGeometry {
  std::vector<int64_t> in;          // spatial input sizes (for ConvTranspose: the output it builds)
  std::vector<int64_t> out;         // spatial output sizes (window positions)
  std::vector<int64_t> kernel;      // window extent per dimension, before dilation
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;  // padding before the first element
  std::vector<int64_t> pads_end;    // padding after the last element (pooling counts it)

  int64_t rank() const { return static_cast<int64_t>(in.size()); }
};

inline int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// The window positions o in [lo, hi) of the last dimension for which o * stride + offset lands
// inside [0, size); the inner loops run branch-free between them.
inline void valid_range(int64_t offset, int64_t stride, int64_t size, int64_t count, int64_t& lo, int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = size - offset <= 0 ? 0 : (size - offset + stride - 1) / stride;
  hi = std::min(hi, count);
  lo = std::min(lo, hi);
}

// Advances a row-major multi-index over the first `dims` of `sizes`; false after the last one.
inline bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& sizes, size_t dims) {
  for (size_t d = dims; d-- > 0;) {
    if (++idx[d] < sizes[d]) return true;
    idx[d] = 0;
  }
  return false;
}

}  // namespace lre::cpu
