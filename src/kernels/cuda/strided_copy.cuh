// Copies a strided N-D view of a device tensor into contiguous memory: the one kernel family behind
// Transpose, Slice, Expand and Tile on the GPU, as src/kernels/cpu/strided_copy.h is on the CPU.
// Plain C++ can include this header; the launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

#include "kernels/cuda/elementwise.cuh"

namespace lre::cuda {

// Tile's views pair every axis with its repeat, so a view may have twice a tensor's dimensions.
constexpr int kMaxCopyDims = 2 * kMaxBroadcastDims;

// y (contiguous, `shape`)[i_0, ..., i_n-1] = x[x_offset + sum_d i_d * x_strides[d]], offset and
// strides in elements of elem_bytes (1, 2, 4 or 8) bytes; a stride may be 0 (broadcast) or negative
// (reversed). Size-1 dimensions are dropped and dimensions that x walks in order are merged; then
// a single contiguous run is one cudaMemcpyAsync, views whose rows are contiguous in x copy rows
// (as 16-byte words when alignment allows), views whose innermost dimension is not the one x walks
// contiguously go through shared-memory tiles, and the rest element by element. More than
// kMaxCopyDims dimensions after merging are refused (Unsupported). `caller` names the launcher in
// error messages.
void launch_strided_copy(size_t elem_bytes, const void* x, int64_t x_offset, std::span<const int64_t> x_strides,
                         void* y, std::span<const int64_t> shape, cudaStream_t stream,
                         const char* caller = "launch_strided_copy");

}  // namespace lre::cuda
