// Determinants of a batch of square matrices by LU decomposition with partial pivoting, in double
// whatever the storage type, since elimination error grows with the matrix size.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

// x: (batch, m, m) row-major; y: (batch). An empty (0 x 0) matrix has determinant 1.
template <typename T>
void det(const T* x, T* y, int64_t batch, int64_t m, ThreadPool* pool);

}  // namespace lre::cpu
