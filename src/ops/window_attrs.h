// Attributes shared by Conv, ConvTranspose and the pooling ops (kernel_shape, strides, dilations,
// pads, auto_pad, ceil_mode), checked once and turned into a window geometry per input shape.
#pragma once

#include <string>
#include <vector>

#include "graph/attributes.h"
#include "kernels/cpu/sliding_window.h"
#include "lre/tensor.h"

namespace lre {

struct WindowAttrs {
  std::vector<int64_t> kernel;  // empty: taken from the weight's shape (Conv)
  std::vector<int64_t> strides, dilations, pads;  // empty: defaults (1, 1, zeros)
  std::string auto_pad = "NOTSET";                // NOTSET, SAME_UPPER, SAME_LOWER or VALID
  bool ceil_mode = false;

  // Reads the attributes; `op` names the op in errors.
  static WindowAttrs parse(const Attributes& a, const char* op);
};

// The geometry of a forward window (Conv, pooling) over `in_spatial` with `kernel`.
cpu::WindowGeometry resolve_window(const WindowAttrs& attrs, const std::vector<int64_t>& in_spatial,
                                   const std::vector<int64_t>& kernel, const char* op);

// Fills strides/dilations/pads defaults and checks that every list has one entry per dimension.
void check_window_lists(const WindowAttrs& attrs, size_t rank, std::vector<int64_t>& strides,
                        std::vector<int64_t>& dilations, std::vector<int64_t>& pads, const char* op);

}  // namespace lre
