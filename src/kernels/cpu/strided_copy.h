// Copies a strided N-D view of a tensor into contiguous memory: the one primitive behind Transpose,
// Slice, Expand, Tile, DepthToSpace and SpaceToDepth, which differ only in the view they describe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

// out[0 .. bytes) = in[0 .. bytes), split over the pool when large (the trivial view: Reshape & co).
void copy_bytes(const void* in, void* out, size_t bytes, ThreadPool* pool);

// out (contiguous, `shape`) [i_0, ..., i_n-1] = in[in_offset + sum_d i_d * in_strides[d]], strides and
// offset in elements of `elem_bytes` bytes; a stride may be 0 (broadcast) or negative (reversed).
// Dimensions are merged where the view allows, rows that are contiguous in the input are copied
// whole, and views where another dimension is contiguous in the input (transposes) go tile by tile.
void strided_copy(const void* in, void* out, size_t elem_bytes, const Shape& shape, const std::vector<int64_t>& in_strides,
                  int64_t in_offset, ThreadPool* pool);

// out = in with its dimensions permuted: out.shape[d] = in_shape[perm[d]]. `perm` must be valid.
void transpose(const void* in, void* out, size_t elem_bytes, const Shape& in_shape, const std::vector<int64_t>& perm,
               ThreadPool* pool);

}  // namespace lre::cpu
