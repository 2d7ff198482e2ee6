// MaxUnpool arithmetic: the inverse of MaxPool with indices, scattering each pooled value back to
// the position it came from and zeros everywhere else.
#pragma once

#include <cstdint>

#include "lre/tensor.h"

namespace lre::cpu {

// y (y_shape) = 0, then x[i] goes to the position that indices[i] addresses in the flattened
// index_shape (the unpooled shape implied by the pooling attributes). When y_shape differs (an
// explicit output_shape), positions keep their coordinates and those beyond y_shape are dropped.
// Indices must lie in [0, numel(index_shape)); the caller checks them.
template <typename T>
void max_unpool(const T* x, const int64_t* indices, int64_t count, T* y, const Shape& index_shape,
                const Shape& y_shape);

}  // namespace lre::cpu
