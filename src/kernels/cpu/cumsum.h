// CumSum: running sums along the middle axis of x viewed as (outer, n, inner).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

// y[.., t, ..] = sum of x over positions up to t (from the end with `reverse`), t itself left out
// with `exclusive`. Integer sums wrap like the type.
template <typename T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse, ThreadPool* pool);

}  // namespace lre::cpu
