// Training-mode Dropout: zero a random fraction of the elements and scale the rest up so the
// expected value is unchanged. (Inference Dropout is a copy and needs no kernel.)
#pragma once

#include <cstdint>

namespace lre::cpu {

// y = keep ? x / (1 - ratio) : 0, keep drawn with probability 1 - ratio from a generator seeded
// with `seed`; mask (may be null) receives keep. ratio in [0, 1).
template <typename T>
void dropout_train(const T* x, T* y, bool* mask, int64_t n, double ratio, uint64_t seed);

}  // namespace lre::cpu
