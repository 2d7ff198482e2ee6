// launch_cast against cpu::cast for every pair of dtypes, with values that exercise the rules that
// differ between naive conversions: fractions, out-of-range values, NaN and infinities, wrapping.
#include <iterator>
#include <limits>
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cpu/cast.h"
#include "kernels/cuda/elementwise.cuh"

namespace lre::test {

namespace {

constexpr DType kAllTypes[] = {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int8,
                               DType::Int16,   DType::Int32,   DType::Int64,    DType::UInt8,   DType::UInt16,
                               DType::UInt32,  DType::UInt64,  DType::Bool};

// Floats in [-300, 300) (fractions, beyond int8/uint8) after a few special values; integers in
// [-300, 300) wrapped into the type; random bools.
Tensor cast_input(DType dtype, int64_t n, unsigned seed) {
  Tensor t(dtype, {n});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-300.0, 300.0);
  const double inf = std::numeric_limits<double>::infinity();
  const double specials[] = {std::nan(""), inf, -inf, 2.5, -2.5, 0.5, 1e10, -1e10, 70000.0};
  dispatch_dtype(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      double v = dist(rng);
      if (std::fabs(v) < 0.05) v = 0.5;
      if constexpr (std::is_same_v<T, bool>) {
        p[i] = v > 0;
      } else if constexpr (std::is_integral_v<T>) {
        p[i] = static_cast<T>(static_cast<int64_t>(v));  // modular for the unsigned types
      } else {
        if (static_cast<size_t>(i) < std::size(specials)) v = specials[i];
        p[i] = static_cast<T>(static_cast<compute_t<T>>(v));
      }
    }
  });
  return t;
}

class CudaCast : public GpuParamTest<std::tuple<DType, DType>> {};

TEST_P(CudaCast, MatchesCpu) {
  const auto [from, to] = GetParam();
  struct Case {
    int64_t n, offset;
  };
  const Case cases[] = {{37, 0}, {1, 0}, {4099, 0}, {1031, 1}, {0, 0}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    const Tensor x = cast_input(from, c.n, seed++);
    Tensor want(to, {c.n});
    cpu::cast(x.raw(), from, want.raw(), to, c.n, nullptr);
    DeviceTensor dx = upload(x, stream(), c.offset);
    // Bool and integer outputs cannot hold a NaN poison; 0xFF bytes still differ from most results.
    DeviceTensor dy = poisoned(to, c.n, stream(), c.offset);
    cuda::launch_cast(from, to, dx.data, dy.data, c.n, stream());
    Tensor got = download(dy.data, to, {c.n}, stream());
    if (to == DType::Bool) {
      // 0xFF is not a valid bool: compare the bytes so an unwritten element shows.
      for (int64_t i = 0; i < c.n; ++i)
        ASSERT_EQ(static_cast<const uint8_t*>(got.raw())[i], static_cast<const uint8_t*>(want.raw())[i])
            << dtype_name(from) << " -> bool, element " << i;
    } else {
      expect_all_close(got, want, std::string(dtype_name(from)) + " -> " + dtype_name(to) + " n=" + std::to_string(c.n) +
                                      (c.offset ? " unaligned" : ""));
    }
  }
}

std::string cast_name(const ::testing::TestParamInfo<std::tuple<DType, DType>>& info) {
  return std::string(dtype_name(std::get<0>(info.param))) + "_to_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllPairs, CudaCast,
                         ::testing::Combine(::testing::ValuesIn(kAllTypes), ::testing::ValuesIn(kAllTypes)), cast_name);

}  // namespace

}  // namespace lre::test
