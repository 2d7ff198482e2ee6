// TopK: the k largest (or smallest) values along the middle axis of x viewed as (outer, n, inner),
// with their indices.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

// values and indices are (outer, k, inner), sorted best first; equal values keep index order and
// NaN counts as larger than every number. k <= n.
template <typename T>
void topk(const T* x, T* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
          ThreadPool* pool);

}  // namespace lre::cpu
