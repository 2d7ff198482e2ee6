// Gather, GatherElements and GatherND: reads picked by an index tensor. Negative indices count from
// the end; an index outside the axis throws lre::Error (InvalidArgument) before anything is read.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/element_bytes.h"
#include "lre/tensor.h"

namespace lre::cpu {

// data (outer, axis_dim, inner), indices (count) -> out (outer, count, inner).
void gather(const void* data, void* out, size_t elem_bytes, int64_t outer, int64_t axis_dim, int64_t inner,
            IndexData indices, int64_t count, ThreadPool* pool);

// out (indices_shape)[i] = data[i with coordinate `axis` replaced by indices[i]]. indices_shape has
// the rank of data_shape and is no larger than it along every other axis.
void gather_elements(const void* data, const Shape& data_shape, void* out, size_t elem_bytes, IndexData indices,
                     const Shape& indices_shape, int64_t axis, ThreadPool* pool);

// data (batch, d_0 .. d_k-1, slice...), indices (batch, count, k) -> out (batch, count, slice): each
// index tuple picks one slice of its batch. `index_dims` holds d_0 .. d_k-1.
void gather_nd(const void* data, void* out, size_t elem_bytes, int64_t batch, const Shape& index_dims, int64_t slice,
               IndexData indices, int64_t count, ThreadPool* pool);

}  // namespace lre::cpu
