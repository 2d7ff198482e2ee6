// Shape and axis helpers used across op families.
#include "ops/op_util.h"

#include <algorithm>

#include "core/dispatch.h"

namespace lre {

int64_t normalize_axis(int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

AxisSplit split_at_axis(const Shape& s, int64_t axis, bool through_end) {
  AxisSplit out;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) out.outer *= s[d];
    else if (d == axis || through_end) out.n *= s[d];
    else out.inner *= s[d];
  }
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  std::vector<int64_t> in_st = strides_of(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[off + i] = in[i] == 1 ? 0 : in_st[i];
  return st;
}

std::vector<int64_t> read_int_values(const Tensor& t, const char* what) {
  if (t.rank() > 1) fail(std::string(what) + " must be a scalar or 1-D tensor, got shape " + shape_to_string(t.shape()));
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::Int64) {
    std::copy(t.data<int64_t>(), t.data<int64_t>() + t.numel(), out.begin());
  } else if (t.dtype() == DType::Int32) {
    std::copy(t.data<int32_t>(), t.data<int32_t>() + t.numel(), out.begin());
  } else {
    fail(std::string(what) + " must be int64 or int32, got " + dtype_name(t.dtype()));
  }
  return out;
}

double read_scalar(const Tensor& t, const char* what) {
  if (t.numel() != 1) fail(std::string(what) + " must hold one element, got shape " + shape_to_string(t.shape()));
  return dispatch_dtype(t.dtype(), [&]<typename T>() -> double {
    return static_cast<double>(static_cast<compute_t<T>>(t.data<T>()[0]));
  });
}

}  // namespace lre
