// ArgMax and ArgMin: the position of the largest or smallest value along the middle axis of x
// viewed as (outer, n, inner).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

// y (outer, inner) = index along n of the maximum (`largest`) or minimum of x (outer, n, inner).
// Ties go to the first index, or the last with `last`; a NaN beats every number, as in numpy.
template <typename T>
void arg_extreme(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, bool largest, bool last,
                 ThreadPool* pool);

}  // namespace lre::cpu
