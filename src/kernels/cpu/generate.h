// Tensors made from a rule rather than from input data: ConstantOfShape (a fill), Range, EyeLike,
// OneHot, and Trilu (a triangle of the input, the rest zero).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"
#include "lre/dtype.h"

namespace lre::cpu {

// out[0 .. n) = *value (one element of elem_bytes bytes).
void fill(void* out, int64_t n, const void* value, size_t elem_bytes, ThreadPool* pool);

// out[i] = start + i * delta for i < n; start and delta point at one element of `dtype` each.
// Integer dtypes are computed exactly, floating ones in double.
void range(DType dtype, const void* start, const void* delta, void* out, int64_t n);

// out (rows, cols) = 1 where col - row == k, 0 elsewhere.
void eye(DType dtype, void* out, int64_t rows, int64_t cols, int64_t k);

// indices (outer, inner) of `index_dtype` -> out (outer, depth, inner) of values: off_on[1] where
// the depth coordinate equals the index (negative indices count from depth), off_on[0] elsewhere;
// indices outside [-depth, depth) give an all-off row. off_on points at two elements.
void one_hot(DType index_dtype, const void* indices, int64_t outer, int64_t inner, int64_t depth, const void* off_on,
             size_t elem_bytes, void* out, ThreadPool* pool);

// in, out (batch, rows, cols): keeps elements with col - row >= k (upper) or <= k (lower), zeros
// the others.
void trilu(const void* in, void* out, size_t elem_bytes, int64_t batch, int64_t rows, int64_t cols, int64_t k, bool upper,
           ThreadPool* pool);

}  // namespace lre::cpu
