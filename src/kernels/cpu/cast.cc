// Conversions go through double for everything but 64-bit integers, which convert directly so
// values above 2^53 stay exact.
#include "kernels/cpu/cast.h"

#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "kernels/cpu/broadcast.h"

namespace lre::cpu {

namespace {

template <typename To, typename From>
To convert(From v) {
  using CF = compute_t<From>;
  using CT = compute_t<To>;
  CF x = static_cast<CF>(v);
  if constexpr (std::is_same_v<To, bool>) {
    return x != CF(0);
  } else if constexpr (std::is_integral_v<CT> && std::is_floating_point_v<CF>) {
    if (std::isnan(x)) return To(0);
    double d = std::trunc(static_cast<double>(x));
    if (d <= static_cast<double>(std::numeric_limits<CT>::lowest())) return std::numeric_limits<CT>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<CT>::max())) return std::numeric_limits<CT>::max();
    return static_cast<To>(static_cast<CT>(d));
  } else if constexpr (std::is_integral_v<CT>) {
    return static_cast<To>(static_cast<CT>(x));  // integer to integer: two's-complement wrap, as numpy
  } else if constexpr (std::is_same_v<CT, float> && std::is_same_v<CF, double>) {
    return static_cast<To>(static_cast<float>(x));
  } else {
    return static_cast<To>(static_cast<CT>(x));
  }
}

}  // namespace

void cast(const void* in, DType from, void* out, DType to, int64_t n, ThreadPool* pool) {
  dispatch_dtype(from, [&]<typename F>() {
    dispatch_dtype(to, [&]<typename T>() {
      unary_map(static_cast<const F*>(in), static_cast<T*>(out), n, pool, [](F v) { return convert<T, F>(v); });
    });
  });
}

}  // namespace lre::cpu
