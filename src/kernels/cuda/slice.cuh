// Slice on the GPU for any dtype (elements moved by size). Plain C++ can include this header; the
// launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

// y (y_shape)[i_0, ..., i_n-1] = x (x_shape)[starts[d] + i_d * steps[d] for every d], elements of
// elem_bytes (1, 2, 4 or 8) bytes. starts and steps have one entry per dimension, with ONNX's
// clamping already resolved by the caller; steps may be negative (reversed) but not 0. Every index
// read must lie inside x (lre::Error InvalidArgument otherwise). Rows whose last dimension has step
// 1 are copied whole, as 16-byte words when alignment allows.
void launch_slice(size_t elem_bytes, const void* x, std::span<const int64_t> x_shape, std::span<const int64_t> starts,
                  std::span<const int64_t> steps, void* y, std::span<const int64_t> y_shape, cudaStream_t stream);

}  // namespace lre::cuda
