// Dropout kernel: one sequential Mersenne Twister stream, so a given seed always drops the same
// elements whatever the thread count.
#include "kernels/cpu/dropout.h"

#include <random>

#include "core/dispatch.h"

namespace lre::cpu {

template <typename T>
void dropout_train(const T* x, T* y, bool* mask, int64_t n, double ratio, uint64_t seed) {
  using C = compute_t<T>;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const C scale = static_cast<C>(1.0 / (1.0 - ratio));
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = ratio == 0 || uniform(rng) >= ratio;
    y[i] = static_cast<T>(keep ? static_cast<C>(x[i]) * scale : C(0));
    if (mask) mask[i] = keep;
  }
}

template void dropout_train<float>(const float*, float*, bool*, int64_t, double, uint64_t);
template void dropout_train<double>(const double*, double*, bool*, int64_t, double, uint64_t);
template void dropout_train<Half>(const Half*, Half*, bool*, int64_t, double, uint64_t);
template void dropout_train<BFloat16>(const BFloat16*, BFloat16*, bool*, int64_t, double, uint64_t);

}  // namespace lre::cpu
