// exp for float written without calls or branches, so loops over arrays of it vectorise (std::exp
// does not without -ffast-math); within 2 ulp of std::exp. Softmax-like kernels spend their time here.
#pragma once

#include <bit>
#include <cstdint>

namespace lre::cpu {

// Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial for e^r, then 2^n built in
// the exponent bits. Below -87.3 the result would be subnormal and is flushed to 0; above 88.72 it
// overflows to inf. Range checks compare the bits as integers: a float compare may trap, and GCC
// then keeps it as a branch instead of a vector select.
inline float fast_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  constexpr uint32_t kLowMag = std::bit_cast<uint32_t>(87.3f), kHigh = std::bit_cast<uint32_t>(88.72f);
  const uint32_t xb = std::bit_cast<uint32_t>(x), mag = xb & 0x7fffffffu;
  // All-ones masks, combined with and/or: selects written as ?: still left branches behind.
  const uint32_t negative = 0u - (xb >> 31);
  const uint32_t under = negative & (0u - static_cast<uint32_t>(mag > kLowMag));
  const uint32_t over = ~negative & (0u - static_cast<uint32_t>(mag > kHigh));
  const uint32_t nan = 0u - static_cast<uint32_t>(mag > 0x7f800000u);
  const uint32_t cb = (under & (kLowMag | 0x80000000u)) | (over & kHigh) | (~(under | over) & xb);
  const float c = std::bit_cast<float>(cb);
  const float shifted = c * kLog2e + kRound;  // n sits in the low mantissa bits
  const float n = shifted - kRound;
  const float r = c - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // n reaches 128 at the top of the range, one past the largest exponent: 2^n in two halves.
  const int32_t ni = static_cast<int32_t>(std::bit_cast<uint32_t>(shifted) - std::bit_cast<uint32_t>(kRound));
  const int32_t half = ni >> 1;
  const float e = p * std::bit_cast<float>(static_cast<uint32_t>(half + 127) << 23) *
                  std::bit_cast<float>(static_cast<uint32_t>(ni - half + 127) << 23);
  const uint32_t eb = (~(under | over) & std::bit_cast<uint32_t>(e)) | (over & 0x7f800000u);
  return std::bit_cast<float>((nan & xb) | (~nan & eb));
}

}  // namespace lre::cpu
