// Slice as a strided view of x: the start of each dimension becomes an offset and its step scales
// the stride, so the row, tile and memcpy paths of strided_copy.cu apply unchanged.
#include <string>

#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/slice.cuh"
#include "kernels/cuda/strided_copy.cuh"

namespace lre::cuda {

void launch_slice(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, std::span<const int64_t> starts,
                  std::span<const int64_t> steps, void* y, std::span<const int64_t> y_shape, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_slice";
  const size_t rank = x_shape.size();
  check_rank(rank, kWhat);
  if (starts.size() != rank || steps.size() != rank || y_shape.size() != rank)
    fail_argument(kWhat, "starts " + shape_str(starts) + ", steps " + shape_str(steps) + " and output shape " +
                             shape_str(y_shape) + " must have one entry per dimension of " + shape_str(x_shape));
  for (int64_t d : y_shape)
    if (d < 0) fail_argument(kWhat, "negative dimension in the output shape " + shape_str(y_shape));
  if (element_count(y_shape) == 0) return;
  int64_t strides[kMaxRank];
  int64_t acc = 1, offset = 0;
  for (size_t d = rank; d-- > 0;) {
    const int64_t first = starts[d], last = starts[d] + (y_shape[d] - 1) * steps[d];
    if (steps[d] == 0 || first < 0 || first >= x_shape[d] || last < 0 || last >= x_shape[d])
      fail_argument(kWhat, "dimension " + std::to_string(d) + " of " + shape_str(x_shape) + " read from " +
                               std::to_string(first) + " in steps of " + std::to_string(steps[d]) + " for " +
                               std::to_string(y_shape[d]) + " elements leaves the input");
    offset += first * acc;
    strides[d] = acc * steps[d];
    acc *= x_shape[d];
  }
  launch_strided_copy(elem_bytes, x, offset, std::span<const int64_t>(strides, rank), y, y_shape, stream, kWhat);
}

}  // namespace lre::cuda
