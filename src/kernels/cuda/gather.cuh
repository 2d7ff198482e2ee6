// Gather on the GPU for any dtype (elements moved by size). Plain C++ can include this header; the
// launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// y (outer, n_indices, inner)[o, j, e] = data (outer, axis_size, inner)[o, indices[j], e], elements
// of elem_bytes (1, 2, 4 or 8) bytes; indices (device memory) are Int32 or Int64 and negative ones
// count from the end of the axis. An index outside [-axis_size, axis_size) cannot be reported
// without waiting for the device, so its slice of y is filled with zeros instead; callers that
// must reject such indices check them on the host (as the CPU kernel does).
void launch_gather(size_t elem_bytes, const void* data, int64_t outer, int64_t axis_size, int64_t inner,
                   const void* indices, DType index_dtype, int64_t n_indices, void* y, cudaStream_t stream);

}  // namespace lre::cuda
