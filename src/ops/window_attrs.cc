// Output sizes and padding of sliding windows, following the ONNX Conv/Pool rules: explicit pads,
// or auto_pad SAME_UPPER / SAME_LOWER (output = ceil(in / stride), the odd pad at the end or the
// start) or VALID (no padding); ceil_mode rounds up but never starts a window in the end padding.
#include "ops/window_attrs.h"

#include <algorithm>

#include "ops/op_util.h"

namespace lre {

namespace {

std::string list_to_string(const std::vector<int64_t>& v) { return shape_to_string(v); }

}  // namespace

WindowAttrs WindowAttrs::parse(const Attributes& a, const char* op) {
  WindowAttrs w;
  w.kernel = a.get_ints("kernel_shape");
  w.strides = a.get_ints("strides");
  w.dilations = a.get_ints("dilations");
  w.pads = a.get_ints("pads");
  w.auto_pad = a.get_string("auto_pad", "NOTSET");
  if (w.auto_pad.empty()) w.auto_pad = "NOTSET";
  w.ceil_mode = a.get_int("ceil_mode", 0) != 0;
  if (w.auto_pad != "NOTSET" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER" && w.auto_pad != "VALID")
    fail(std::string(op) + ": auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '" + w.auto_pad + "'");
  for (int64_t k : w.kernel)
    if (k <= 0) fail(std::string(op) + ": kernel_shape " + list_to_string(w.kernel) + " must be positive");
  for (int64_t s : w.strides)
    if (s <= 0) fail(std::string(op) + ": strides " + list_to_string(w.strides) + " must be positive");
  for (int64_t d : w.dilations)
    if (d <= 0) fail(std::string(op) + ": dilations " + list_to_string(w.dilations) + " must be positive");
  for (int64_t p : w.pads)
    if (p < 0) fail(std::string(op) + ": pads " + list_to_string(w.pads) + " must not be negative");
  return w;
}

void check_window_lists(const WindowAttrs& attrs, size_t rank, std::vector<int64_t>& strides,
                        std::vector<int64_t>& dilations, std::vector<int64_t>& pads, const char* op) {
  strides = attrs.strides.empty() ? std::vector<int64_t>(rank, 1) : attrs.strides;
  dilations = attrs.dilations.empty() ? std::vector<int64_t>(rank, 1) : attrs.dilations;
  pads = attrs.pads.empty() ? std::vector<int64_t>(2 * rank, 0) : attrs.pads;
  std::string dims = std::to_string(rank) + " spatial dimensions";
  if (strides.size() != rank) fail(std::string(op) + ": strides " + list_to_string(strides) + " do not match " + dims);
  if (dilations.size() != rank)
    fail(std::string(op) + ": dilations " + list_to_string(dilations) + " do not match " + dims);
  if (pads.size() != 2 * rank)
    fail(std::string(op) + ": pads " + list_to_string(pads) + " need 2 values per dimension for " + dims);
}

cpu::WindowGeometry resolve_window(const WindowAttrs& attrs, const std::vector<int64_t>& in_spatial,
                                   const std::vector<int64_t>& kernel, const char* op) {
  const size_t rank = in_spatial.size();
  if (rank == 0) fail(std::string(op) + " needs at least one spatial dimension");
  if (kernel.size() != rank)
    fail(std::string(op) + ": kernel_shape " + list_to_string(kernel) + " does not match the input's " +
         std::to_string(rank) + " spatial dimensions");
  cpu::WindowGeometry g;
  g.in = in_spatial;
  g.kernel = kernel;
  std::vector<int64_t> pads;
  check_window_lists(attrs, rank, g.strides, g.dilations, pads, op);
  g.out.resize(rank);
  g.pads_begin.resize(rank);
  g.pads_end.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = in_spatial[d], s = g.strides[d], extent = (kernel[d] - 1) * g.dilations[d] + 1;
    int64_t pb = pads[d], pe = pads[d + rank], out;
    if (attrs.auto_pad == "SAME_UPPER" || attrs.auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + extent - in);
      pb = attrs.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (attrs.auto_pad == "VALID") pb = pe = 0;
      int64_t span = in + pb + pe - extent;
      if (span < 0)
        fail(std::string(op) + ": the window (extent " + std::to_string(extent) + " in dimension " + std::to_string(d) +
             ") is larger than the padded input (" + std::to_string(in + pb + pe) + ")");
      out = (attrs.ceil_mode ? (span + s - 1) / s : span / s) + 1;
      if (attrs.ceil_mode && (out - 1) * s >= in + pb) --out;
    }
    g.out[d] = out;
    g.pads_begin[d] = pb;
    g.pads_end[d] = pe;
  }
  return g;
}

}  // namespace lre
