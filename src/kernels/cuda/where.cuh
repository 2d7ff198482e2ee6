// Where on the GPU for any dtype (elements moved by size). Plain C++ can include this header; the
// launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

// out (out_shape) = cond ? x : y_in, element by element, with numpy broadcasting of all three
// inputs to out_shape (which must be their broadcast shape). x, y_in and out hold elements of
// elem_bytes (1, 2, 4 or 8) bytes. Shapes that need more than kMaxBroadcastDims dimensions after
// merging are refused (Unsupported).
void launch_where(size_t elem_bytes, const bool* cond, std::span<const int64_t> cond_shape, const void* x,
                  std::span<const int64_t> x_shape, const void* y_in, std::span<const int64_t> y_shape, void* out,
                  std::span<const int64_t> out_shape, cudaStream_t stream);

}  // namespace lre::cuda
