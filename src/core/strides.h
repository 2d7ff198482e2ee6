// Row-major strides of a shape, shared by op shape rules and the CPU kernels that walk tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "lre/tensor.h"

namespace lre {

// Strides in elements: the last dimension is contiguous.
inline std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

}  // namespace lre
