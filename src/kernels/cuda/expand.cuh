// Expand and Tile on the GPU for any dtype (elements moved by size). Plain C++ can include this
// header; the launchers enqueue on `stream` and never synchronise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

// y (y_shape) = x (x_shape) broadcast numpy-style: x_shape is right-aligned against y_shape and each
// of its dimensions equals y's or is 1. Elements of elem_bytes (1, 2, 4 or 8) bytes.
void launch_expand(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, void* y,
                   std::span<const int64_t> y_shape, cudaStream_t stream);

// y (y_shape)[i] = x (x_shape)[i mod x_shape], with y_shape = x_shape * repeats (same rank; every
// y dimension a multiple of x's, and 0 where x's is 0). Elements of elem_bytes bytes.
void launch_tile(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, void* y,
                 std::span<const int64_t> y_shape, cudaStream_t stream);

}  // namespace lre::cuda
