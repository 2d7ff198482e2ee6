// Linear (de)quantisation between real values and 8-bit integers, per tensor or per channel: the
// arithmetic behind QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear. Tensors are seen
// as (outer, channels, inner) with one scale and zero point per channel (channels == 1: per tensor).
#pragma once

#include <cstdint>
#include <limits>

#include "core/half.h"
#include "core/thread_pool.h"

namespace lre::cpu {

// Rounds half to even (what ONNX and numpy's rint do), valid for |v| < 2^22; callers clamp first.
inline float round_half_even(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it leaves no fraction bits
  return (v + kMagic) - kMagic;
}

// saturate(round_half_even(v) + zero_point) into Q's range; NaN gives Q's minimum.
template <typename Q>
inline Q quantize_value(float v, float zero_point) {
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  // Clamp before rounding so the magic-number rounding stays in range.
  v = !(v >= lo - zero_point - 1.f) ? lo - zero_point - 1.f : v;
  v = v > hi - zero_point + 1.f ? hi - zero_point + 1.f : v;
  float q = round_half_even(v) + zero_point;
  q = q < lo ? lo : q;
  q = q > hi ? hi : q;
  return static_cast<Q>(static_cast<int32_t>(q));
}

// y = saturate(round_half_even(x / scale[c]) + zero_point[c]). `In` is float, Half, BFloat16 or
// int32_t; `Q` is uint8_t or int8_t. `zero_point` may be null (zero).
template <typename In, typename Q>
void quantize_linear(const In* x, const float* scale, const Q* zero_point, Q* y, int64_t outer, int64_t channels,
                     int64_t inner, ThreadPool* pool);

// y = (x - zero_point[c]) * scale[c]. `Q` is uint8_t, int8_t or int32_t; `Out` is float, Half or
// BFloat16. `zero_point` may be null (zero).
template <typename Q, typename Out>
void dequantize_linear(const Q* x, const float* scale, const Q* zero_point, Out* y, int64_t outer, int64_t channels,
                       int64_t inner, ThreadPool* pool);

// Picks the uint8 scale and zero point that map [min(x, 0), max(x, 0)] onto [0, 255] and
// quantises x with them (DynamicQuantizeLinear). An all-zero x gives scale 0 and y = 0.
void dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* scale, uint8_t* zero_point,
                             ThreadPool* pool);

}  // namespace lre::cpu
