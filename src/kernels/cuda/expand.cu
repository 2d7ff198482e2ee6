// Expand and Tile as strided views of x: a broadcast dimension has stride 0, and Tile splits each
// output dimension into (repeat, x's dimension) with the repeat of stride 0.
#include <string>

#include "kernels/cuda/expand.cuh"
#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/strided_copy.cuh"

namespace lre::cuda {

void launch_expand(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, void* y,
                   std::span<const int64_t> y_shape, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_expand";
  const size_t rank = y_shape.size();
  check_rank(rank, kWhat);
  if (x_shape.size() > rank)
    fail_argument(kWhat, "input " + shape_str(x_shape) + " has more dimensions than the output " + shape_str(y_shape));
  int64_t strides[kMaxRank] = {};
  int64_t acc = 1;
  for (size_t i = x_shape.size(); i-- > 0;) {
    const size_t o = rank - x_shape.size() + i;
    if (x_shape[i] != y_shape[o] && x_shape[i] != 1)
      fail_argument(kWhat, "input " + shape_str(x_shape) + " does not broadcast to " + shape_str(y_shape));
    strides[o] = x_shape[i] == 1 ? 0 : acc;
    acc *= x_shape[i];
  }
  launch_strided_copy(elem_bytes, x, 0, std::span<const int64_t>(strides, rank), y, y_shape, stream, kWhat);
}

void launch_tile(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, void* y,
                 std::span<const int64_t> y_shape, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_tile";
  const size_t rank = x_shape.size();
  check_rank(rank, kWhat);
  if (y_shape.size() != rank)
    fail_argument(kWhat, "output " + shape_str(y_shape) + " and input " + shape_str(x_shape) + " differ in rank");
  for (size_t d = 0; d < rank; ++d) {
    const bool ok = x_shape[d] == 0 ? y_shape[d] == 0
                                    : x_shape[d] > 0 && y_shape[d] >= 0 && y_shape[d] % x_shape[d] == 0;
    if (!ok)
      fail_argument(kWhat, "output " + shape_str(y_shape) + " is not the input " + shape_str(x_shape) +
                               " repeated a whole number of times along every dimension");
  }
  if (element_count(y_shape) == 0) return;
  // Output dimension d viewed as (repeat, x dimension d): the repeat walks nothing, the rest walks x.
  int64_t view_shape[2 * kMaxRank], strides[2 * kMaxRank];
  int64_t acc = 1;
  for (size_t d = rank; d-- > 0;) {
    view_shape[2 * d] = y_shape[d] / x_shape[d];
    view_shape[2 * d + 1] = x_shape[d];
    strides[2 * d] = 0;
    strides[2 * d + 1] = acc;
    acc *= x_shape[d];
  }
  launch_strided_copy(elem_bytes, x, 0, std::span<const int64_t>(strides, 2 * rank), y,
                      std::span<const int64_t>(view_shape, 2 * rank), stream, kWhat);
}

}  // namespace lre::cuda
