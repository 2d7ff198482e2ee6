// Elementwise (de)quantisation loops, split over threads by channel blocks; the inner loops are
// branch-free so g++ vectorises them.
#include "kernels/cpu/quantize.h"

#include <algorithm>
#include <vector>

namespace lre::cpu {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per task: below this threads cost more than they save

// Runs fn(o, c, begin, end) over the inner elements of every (outer, channel) pair, in tasks of
// about kGrain elements.
template <typename F>
void for_channel_blocks(int64_t outer, int64_t channels, int64_t inner, ThreadPool* pool, F&& fn) {
  const int64_t rows = outer * channels;
  const int64_t blocks_per_row = std::max<int64_t>(1, inner / kGrain);
  const int64_t tasks = rows * blocks_per_row;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t row = t / blocks_per_row, b = t % blocks_per_row;
      fn(row / channels, row % channels, inner * b / blocks_per_row, inner * (b + 1) / blocks_per_row);
    }
  };
  if (pool && tasks > 1 && rows * inner > kGrain)
    pool->parallel_for(tasks, std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1)), run);
  else
    run(0, tasks);
}

}  // namespace

template <typename In, typename Q>
void quantize_linear(const In* x, const float* scale, const Q* zero_point, Q* y, int64_t outer, int64_t channels,
                     int64_t inner, ThreadPool* pool) {
  for_channel_blocks(outer, channels, inner, pool, [&](int64_t o, int64_t c, int64_t lo, int64_t hi) {
    const float s = scale[c];
    const float zp = zero_point ? static_cast<float>(zero_point[c]) : 0.f;
    const int64_t base = (o * channels + c) * inner;
    for (int64_t i = lo; i < hi; ++i) y[base + i] = quantize_value<Q>(static_cast<float>(x[base + i]) / s, zp);
  });
}

template <typename Q, typename Out>
void dequantize_linear(const Q* x, const float* scale, const Q* zero_point, Out* y, int64_t outer, int64_t channels,
                       int64_t inner, ThreadPool* pool) {
  for_channel_blocks(outer, channels, inner, pool, [&](int64_t o, int64_t c, int64_t lo, int64_t hi) {
    const float s = scale[c];
    const int32_t zp = zero_point ? static_cast<int32_t>(zero_point[c]) : 0;
    const int64_t base = (o * channels + c) * inner;
    for (int64_t i = lo; i < hi; ++i)
      y[base + i] = static_cast<Out>(static_cast<float>(static_cast<int32_t>(x[base + i]) - zp) * s);
  });
}

void dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* scale, uint8_t* zero_point,
                             ThreadPool* pool) {
  // The range always includes 0 so that 0 is exactly representable (padding, ReLU outputs).
  float lo = 0.f, hi = 0.f;
  int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(pool ? pool->size() * 4 : 1, n / kGrain));
  std::vector<float> mins(static_cast<size_t>(chunks), 0.f), maxs(static_cast<size_t>(chunks), 0.f);
  auto reduce = [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      float mn = 0.f, mx = 0.f;
      for (int64_t i = n * c / chunks; i < n * (c + 1) / chunks; ++i) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
      }
      mins[static_cast<size_t>(c)] = mn;
      maxs[static_cast<size_t>(c)] = mx;
    }
  };
  if (pool && chunks > 1)
    pool->parallel_for(chunks, 1, reduce);
  else
    reduce(0, chunks);
  for (int64_t c = 0; c < chunks; ++c) {
    lo = std::min(lo, mins[static_cast<size_t>(c)]);
    hi = std::max(hi, maxs[static_cast<size_t>(c)]);
  }
  const float s = (hi - lo) / 255.f;
  *scale = s;
  if (s == 0.f) {
    *zero_point = 0;
    std::fill(y, y + n, uint8_t{0});
    return;
  }
  const uint8_t zp = quantize_value<uint8_t>(-lo / s, 0.f);
  *zero_point = zp;
  quantize_linear<float, uint8_t>(x, &s, &zp, y, 1, 1, n, pool);
}

#define LRE_QUANTIZE_INSTANCE(In, Q) \
  template void quantize_linear<In, Q>(const In*, const float*, const Q*, Q*, int64_t, int64_t, int64_t, ThreadPool*);
#define LRE_DEQUANTIZE_INSTANCE(Q, Out)                                                                      \
  template void dequantize_linear<Q, Out>(const Q*, const float*, const Q*, Out*, int64_t, int64_t, int64_t, \
                                          ThreadPool*);
#define LRE_QUANTIZE_INSTANCES(T)     \
  LRE_QUANTIZE_INSTANCE(T, uint8_t)   \
  LRE_QUANTIZE_INSTANCE(T, int8_t)    \
  LRE_DEQUANTIZE_INSTANCE(uint8_t, T) \
  LRE_DEQUANTIZE_INSTANCE(int8_t, T)  \
  LRE_DEQUANTIZE_INSTANCE(int32_t, T)
LRE_QUANTIZE_INSTANCES(float)
LRE_QUANTIZE_INSTANCES(Half)
LRE_QUANTIZE_INSTANCES(BFloat16)
LRE_QUANTIZE_INSTANCE(int32_t, uint8_t)
LRE_QUANTIZE_INSTANCE(int32_t, int8_t)
#undef LRE_QUANTIZE_INSTANCES
#undef LRE_DEQUANTIZE_INSTANCE
#undef LRE_QUANTIZE_INSTANCE

}  // namespace lre::cpu
