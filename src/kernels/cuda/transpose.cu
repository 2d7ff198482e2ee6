// Transpose as a strided view of x in y's order: the view's merging and its row, tile and memcpy
// paths (strided_copy.cu) are exactly what a permutation needs.
#include <string>

#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/strided_copy.cuh"
#include "kernels/cuda/transpose.cuh"

namespace lre::cuda {

void launch_transpose(size_t elem_bytes, const void* x, std::span<const int64_t> shape, std::span<const int64_t> perm,
                      void* y, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_transpose";
  const size_t rank = shape.size();
  check_rank(rank, kWhat);
  if (perm.size() != rank)
    fail_argument(kWhat, "perm " + shape_str(perm) + " for the shape " + shape_str(shape) + " of rank " +
                             std::to_string(rank));
  int64_t x_strides[kMaxRank], y_shape[kMaxRank], view_strides[kMaxRank];
  bool seen[kMaxRank] = {};
  int64_t acc = 1;
  for (size_t d = rank; d-- > 0;) {
    x_strides[d] = acc;
    acc *= shape[d];
  }
  for (size_t d = 0; d < rank; ++d) {
    const int64_t p = perm[d];
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p])
      fail_argument(kWhat, "perm " + shape_str(perm) + " is not a permutation of the " + std::to_string(rank) +
                               " dimensions of " + shape_str(shape));
    seen[p] = true;
    y_shape[d] = shape[static_cast<size_t>(p)];
    view_strides[d] = x_strides[p];
  }
  launch_strided_copy(elem_bytes, x, 0, std::span<const int64_t>(view_strides, rank), y,
                      std::span<const int64_t>(y_shape, rank), stream, kWhat);
}

}  // namespace lre::cuda
