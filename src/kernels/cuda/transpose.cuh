// Transpose on the GPU for any dtype (elements moved by size). Plain C++ can include this header;
// the launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

// y = x with its dimensions permuted: y.shape[d] = shape[perm[d]], elements of elem_bytes (1, 2, 4
// or 8) bytes. After size-1 dimensions are dropped and dimensions that stay adjacent and in order
// are merged, an identity is one device-to-device copy, a permutation that keeps the innermost
// dimension innermost copies contiguous rows ((b, h, s, d) -> (b, s, h, d)), and one that moves it
// goes through shared-memory tiles (NCHW <-> NHWC). perm must be a permutation of [0, rank);
// otherwise lre::Error (InvalidArgument).
void launch_transpose(size_t elem_bytes, const void* x, std::span<const int64_t> shape, std::span<const int64_t> perm,
                      void* y, cudaStream_t stream);

}  // namespace lre::cuda
