// MaxUnpool kernel: a zero fill and a scatter, both memory-bound, so single-threaded.
#include "kernels/cpu/max_unpool.h"

#include <algorithm>

#include "core/dispatch.h"

namespace lre::cpu {

template <typename T>
void max_unpool(const T* x, const int64_t* indices, int64_t count, T* y, const Shape& index_shape,
                const Shape& y_shape) {
  std::fill(y, y + shape_numel(y_shape), T(0));
  if (index_shape == y_shape) {
    for (int64_t i = 0; i < count; ++i) y[indices[i]] = x[i];
    return;
  }
  const size_t rank = y_shape.size();
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = indices[i], off = 0, stride = 1;
    bool inside = true;
    for (size_t d = rank; d-- > 0;) {
      int64_t c = rem % index_shape[d];
      rem /= index_shape[d];
      inside = inside && c < y_shape[d];
      off += c * stride;
      stride *= y_shape[d];
    }
    if (inside) y[off] = x[i];
  }
}

#define LRE_INSTANTIATE_MAX_UNPOOL(T) \
  template void max_unpool<T>(const T*, const int64_t*, int64_t, T*, const Shape&, const Shape&);
LRE_INSTANTIATE_MAX_UNPOOL(float)
LRE_INSTANTIATE_MAX_UNPOOL(double)
LRE_INSTANTIATE_MAX_UNPOOL(Half)
LRE_INSTANTIATE_MAX_UNPOOL(BFloat16)
#undef LRE_INSTANTIATE_MAX_UNPOOL

}  // namespace lre::cpu
