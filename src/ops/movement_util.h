// Helpers shared by the shape and data-movement ops: required inputs, index tensors, axis lists,
// and values that come from an attribute in old opsets and from an input in newer ones.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "graph/attributes.h"
#include "kernels/cpu/element_bytes.h"
#include "ops/op_util.h"

namespace lre {

// Input `i`, which the op cannot do without; `what` is "Reshape input 'shape'" or the like.
inline const Tensor& required_input(std::span<const Tensor* const> in, size_t i, const std::string& what) {
  if (i >= in.size() || !in[i]) fail(what + " is missing");
  return *in[i];
}

// An int32 or int64 index tensor, viewed for the index kernels.
inline cpu::IndexData index_data(const Tensor& t, const std::string& what) {
  if (t.dtype() != DType::Int64 && t.dtype() != DType::Int32)
    fail(what + " must be int64 or int32, got " + dtype_name(t.dtype()));
  return {t.raw(), t.dtype() == DType::Int64};
}

// Normalises every axis to [0, rank) and rejects repeats.
inline std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what) {
  std::vector<int64_t> out;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    int64_t n = normalize_axis(a, rank, what.c_str());
    if (seen[static_cast<size_t>(n)]) fail(what + " names axis " + std::to_string(a) + " twice");
    seen[static_cast<size_t>(n)] = true;
    out.push_back(n);
  }
  return out;
}

// An int list that is attribute `name` before `input_opset` and input `index` from then on
// (omitted: an empty list). `what` names the op.
struct IntsAttrOrInput {
  bool from_input = false;
  int index = 0;
  std::vector<int64_t> attr;
  bool attr_given = false;

  IntsAttrOrInput(const Attributes& attrs, const std::string& name, int opset, int input_opset, int input_index)
      : from_input(opset >= input_opset), index(input_index) {
    if (!from_input && attrs.has(name)) {
      attr = attrs.get_ints(name);
      attr_given = true;
    }
  }
  // The values, and whether they were given at all.
  bool get(std::span<const Tensor* const> in, const std::string& what, std::vector<int64_t>& values) const {
    if (!from_input) {
      values = attr;
      return attr_given;
    }
    if (static_cast<size_t>(index) >= in.size() || !in[static_cast<size_t>(index)]) return false;
    values = read_int_values(*in[static_cast<size_t>(index)], what.c_str());
    return true;
  }
};

}  // namespace lre
