// Gather: each output element reads its index once and copies one element. Slices whose byte size
// and alignment allow it move as 16/8/4-byte words (embedding rows become a few wide loads).
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/gather.cuh"
#include "kernels/cuda/movement_util.cuh"

namespace lre::cuda {

namespace {

template <typename T, typename I, typename Index>
__global__ void __launch_bounds__(kBlockThreads) gather_kernel(const T* data, const I* indices, T* y, Index n,
                                                               Index inner, Index n_indices, int64_t axis_size) {
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    const Index e = i % inner, slice = i / inner;
    const Index j = slice % n_indices, o = slice / n_indices;
    int64_t k = static_cast<int64_t>(indices[j]);
    if (k < 0) k += axis_size;
    y[i] = k >= 0 && k < axis_size ? data[(static_cast<int64_t>(o) * axis_size + k) * inner + e] : T{};
  }
}

}  // namespace

void launch_gather(size_t elem_bytes, const void* data, int64_t outer, int64_t axis_size, int64_t inner,
                   const void* indices, DType index_dtype, int64_t n_indices, void* y, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_gather";
  check_element_bytes(elem_bytes, kWhat);
  if (index_dtype != DType::Int32 && index_dtype != DType::Int64)
    throw Error(ErrorCode::InvalidArgument,
                std::string(kWhat) + ": indices must be int32 or int64, got " + dtype_name(index_dtype));
  if (outer < 0 || axis_size < 0 || inner < 0 || n_indices < 0)
    fail_argument(kWhat, "negative size: outer " + std::to_string(outer) + ", axis " + std::to_string(axis_size) +
                             ", inner " + std::to_string(inner) + ", indices " + std::to_string(n_indices));
  if (outer * n_indices * inner == 0) return;
  const void* pointers[] = {data, y};
  const int64_t counts[] = {inner};
  const size_t unit = widest_unit(elem_bytes, pointers, counts);
  const int64_t units_inner = inner * static_cast<int64_t>(elem_bytes) / static_cast<int64_t>(unit);
  const int64_t n = outer * n_indices * units_inner;
  dispatch_unit(unit, kWhat, [&]<typename T>() {
    dispatch_index(n, [&]<typename Index>() {
      const T* d = static_cast<const T*>(data);
      T* out = static_cast<T*>(y);
      if (index_dtype == DType::Int64)
        gather_kernel<T, int64_t, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(
            d, static_cast<const int64_t*>(indices), out, static_cast<Index>(n), static_cast<Index>(units_inner),
            static_cast<Index>(n_indices), axis_size);
      else
        gather_kernel<T, int32_t, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(
            d, static_cast<const int32_t*>(indices), out, static_cast<Index>(n), static_cast<Index>(units_inner),
            static_cast<Index>(n_indices), axis_size);
      LRE_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace lre::cuda
