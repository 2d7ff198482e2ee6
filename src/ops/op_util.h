// Helpers shared by op implementations: axis normalisation, broadcasting, reading small integer
// tensors (shapes, axes), and strides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/strides.h"
#include "lre/error.h"
#include "lre/tensor.h"

namespace lre {

[[noreturn]] inline void fail(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }
[[noreturn]] inline void fail_unsupported(const std::string& message) { throw Error(ErrorCode::Unsupported, message); }

// Maps axis in [-rank, rank) to [0, rank); `what` names the attribute or input in the error.
int64_t normalize_axis(int64_t axis, int64_t rank, const char* what = "axis");

// A shape seen as (outer, n, inner) around `axis` (already normalised): the layout of every
// op that works along one axis. With `through_end`, n spans axis to the last dimension (the 2-D
// coercion of Softmax before opset 13) and inner is 1.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& s, int64_t axis, bool through_end = false);

// Numpy-style broadcast of two or more shapes; throws naming both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);

// Strides of `in` broadcast to `out` (0 along broadcast dimensions); `in` is right-aligned.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Reads an int32/int64 tensor (1-D or scalar) as int64 values.
std::vector<int64_t> read_int_values(const Tensor& t, const char* what);
// Reads a numeric scalar tensor as double.
double read_scalar(const Tensor& t, const char* what);

}  // namespace lre
