// Pad on the GPU for any dtype (elements moved by size), with the CPU kernel's border rules
// (src/kernels/cpu/pad.h). Plain C++ can include this header; the launcher enqueues on `stream`
// and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

enum class PadMode { Constant, Reflect, Edge, Wrap };

// y (y_shape)[o] = x (x_shape)[o - pads_begin] where that lies inside x; elsewhere the constant
// (Constant), the input mirrored about its first and last elements without repeating them
// (Reflect), the nearest edge element (Edge) or the input repeated periodically (Wrap). pads_begin
// has one entry per dimension and may be negative (cropping); y_shape may be smaller than x_shape
// for the same reason. constant_value is a host pointer to one element of elem_bytes (1, 2, 4 or 8)
// bytes, read before the launcher returns; it is ignored by the other modes, which need every
// input dimension to be non-empty when y is. More than kMaxBroadcastDims dimensions that are
// padded or alternate with padded ones are refused (Unsupported).
void launch_pad(size_t elem_bytes, PadMode mode, const void* x, std::span<const int64_t> x_shape,
                std::span<const int64_t> pads_begin, void* y, std::span<const int64_t> y_shape,
                const void* constant_value, cudaStream_t stream);

}  // namespace lre::cuda
