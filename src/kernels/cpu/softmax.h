// Softmax, LogSoftmax and Hardmax along the middle axis of x viewed as (outer, n, inner): ONNX
// opset 13 takes one axis of any tensor, older opsets flatten to 2-D (inner = 1).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::cpu {

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

// x and y are (outer, n, inner). Max-subtracted, so large inputs do not overflow. Half types compute
// in float. Hardmax puts 1 at the first maximum. `pool` may be null.
template <typename T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, SoftmaxKind kind, ThreadPool* pool);

}  // namespace lre::cpu
