// Element type conversion between every pair of dtypes.
#pragma once

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

// Converts n elements. Float to integer truncates toward zero and saturates at the target's range
// (NaN becomes 0), so no input value leads to undefined behaviour; to bool is "!= 0".
void cast(const void* in, DType from, void* out, DType to, int64_t n, ThreadPool* pool);

}  // namespace lre::cpu
