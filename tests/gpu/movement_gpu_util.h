// Helpers for the data-movement GPU tests: random tensors of the four element sizes the kernels
// instantiate (bool, float16, float32, int64) with no element equal to the 0xFF poison, and a
// bit-for-bit comparison, since moving an element must never change it.
#pragma once

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.h"

namespace lre::test {

// One dtype of each element size: 1, 2, 4 and 8 bytes.
constexpr DType kMovementTypes[] = {DType::Bool, DType::Float16, DType::Float32, DType::Int64};

// Floats in [-3, 3) away from zero, random bools, and int64 values of up to 40 bits of either sign
// (never -1, the poison's int64 value).
inline Tensor random_elements(DType dtype, Shape shape, unsigned seed) {
  if (dtype_is_float(dtype)) return random_float(dtype, std::move(shape), seed);
  Tensor t(dtype, std::move(shape));
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const uint64_t r = rng();
    if (dtype == DType::Bool) {
      t.data<bool>()[i] = (r & 1) != 0;
    } else {
      EXPECT_EQ(dtype, DType::Int64) << "random_elements covers bool, float16, float32 and int64";
      const int64_t magnitude = static_cast<int64_t>((r >> 24) % (int64_t{1} << 40)) + 2;
      t.data<int64_t>()[i] = (r & 1) ? magnitude : -magnitude;
    }
  }
  return t;
}

// Every element of `got` has the bytes of the same element of `want`; the first few that differ
// are reported by index.
inline void expect_same_elements(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const size_t eb = dtype_size(want.dtype());
  const auto* g = static_cast<const unsigned char*>(got.raw());
  const auto* w = static_cast<const unsigned char*>(want.raw());
  int64_t bad = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const size_t at = static_cast<size_t>(i) * eb;
    if (std::memcmp(g + at, w + at, eb) == 0) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " differs from the CPU's";
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.numel() << " elements differ";
}

// Bytes of `t` that an output poisoned with 0xFF still holds after a launch that should write
// nothing.
inline void expect_untouched(const Tensor& t, const std::string& what) {
  const auto* p = static_cast<const unsigned char*>(t.raw());
  for (size_t i = 0; i < t.nbytes(); ++i) ASSERT_EQ(p[i], 0xFF) << what << ": byte " << i << " was written";
}

inline std::string case_name(DType dtype, const Shape& shape, const std::string& rest = "") {
  return std::string(dtype_name(dtype)) + " " + shape_to_string(shape) + (rest.empty() ? "" : " " + rest);
}

inline std::string dtype_param_name(const ::testing::TestParamInfo<DType>& info) { return dtype_name(info.param); }

}  // namespace lre::test
