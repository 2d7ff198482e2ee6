// Concat and Split as block copies: viewing every tensor as (outer, axis, inner), each input (or
// output) owns a contiguous run of axis * inner elements inside every outer block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

// out (outer, sum(axis_sizes), inner) = the inputs (outer, axis_sizes[i], inner) side by side.
void concat(const std::vector<const void*>& inputs, const std::vector<int64_t>& axis_sizes, void* out, int64_t outer,
            int64_t inner, size_t elem_bytes, ThreadPool* pool);

// The inverse: outputs[i] (outer, axis_sizes[i], inner) are consecutive pieces of `in`. A null
// output is skipped (an output the model does not use).
void split(const void* in, const std::vector<void*>& outputs, const std::vector<int64_t>& axis_sizes, int64_t outer,
           int64_t inner, size_t elem_bytes, ThreadPool* pool);

}  // namespace lre::cpu
