// Pad: an output larger (or, with negative pads, smaller) than the input, its border filled with a
// constant, the mirrored input (reflect), the nearest input edge (edge) or the input repeated (wrap).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

enum class PadMode { Constant, Reflect, Edge, Wrap };

// out (out_shape)[o] = in[o - begin] where that lies inside in_shape; elsewhere the border rule of
// `mode`. `begin` (pads before each axis, negative to crop) has one entry per axis; `value` points at
// one element (elem_bytes bytes) used by Constant. Modes other than Constant need every input axis
// that is padded to be non-empty.
void pad(const void* in, const Shape& in_shape, void* out, const Shape& out_shape, const std::vector<int64_t>& begin,
         PadMode mode, const void* value, size_t elem_bytes, ThreadPool* pool);

}  // namespace lre::cpu
