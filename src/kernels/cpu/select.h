// NonZero (coordinates of the non-zero elements) and ReverseSequence (per-batch reversal of the
// leading part of the time axis). Compress is a Gather of the kept positions and needs no kernel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"
#include "lre/dtype.h"
#include "lre/tensor.h"

namespace lre::cpu {

// Elements of `in` (n of `dtype`) that are not zero (NaN counts as non-zero, -0 as zero).
int64_t count_nonzero(DType dtype, const void* in, int64_t n);

// out (rank, count): column j holds the coordinates of the j-th non-zero element in row-major
// order; count is what count_nonzero gave. A scalar is treated as shape [1].
void nonzero(DType dtype, const void* in, const Shape& shape, int64_t count, int64_t* out);

// out = in, except that for batch b the first lengths[b] steps of time_axis come in reverse order.
// lengths[b] must lie in [0, shape[time_axis]].
void reverse_sequence(const void* in, void* out, size_t elem_bytes, const Shape& shape, int64_t batch_axis,
                      int64_t time_axis, const int64_t* lengths, ThreadPool* pool);

}  // namespace lre::cpu
