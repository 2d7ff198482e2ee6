// Core types: dtypes, shapes, half-precision conversion, the thread pool and the memory planner.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

#include "core/half.h"
#include "core/thread_pool.h"
#include "graph/memory_planner.h"
#include "lre/error.h"
#include "lre/tensor.h"

namespace lre {

TEST(Half, RoundTripsEveryFiniteHalf) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    uint16_t h = static_cast<uint16_t>(b);
    if ((h & 0x7c00) == 0x7c00) continue;  // inf / nan
    EXPECT_EQ(float_to_half(half_to_float(h)), h) << std::hex << b;
  }
}

TEST(Half, RoundsToNearestEven) {
  // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // rounds to infinity
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25) * 1.5f), 0x0001);  // smallest subnormal
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_float(float_to_bf16(3.140625f)), 3.140625f);
  EXPECT_EQ(float_to_bf16(bits_to_float(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(float_to_bf16(bits_to_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
}

TEST(Tensor, AllocatesAlignedAndReshapes) {
  Tensor t(DType::Float32, {2, 3, 5});
  EXPECT_EQ(t.numel(), 30);
  EXPECT_EQ(t.nbytes(), 120u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  Tensor r = t.reshaped({6, 5});
  EXPECT_EQ(r.raw(), t.raw());
  EXPECT_THROW(t.reshaped({7, 5}), Error);
  EXPECT_THROW(Tensor(DType::Float32, {2, -1}), Error);
}

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 7, 1000, 12345}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, 3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, PropagatesExceptions) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(100, 1, [](int64_t b, int64_t) {
    if (b > 50) throw std::runtime_error("boom");
  }), std::runtime_error);
  int64_t sum = 0;
  std::mutex m;
  pool.parallel_for(10, 1, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(m);
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  EXPECT_EQ(sum, 45);  // the pool still works after an exception
}

TEST(MemoryPlanner, OverlappingLifetimesNeverShareBytes) {
  std::mt19937 rng(3);
  std::vector<BufferRequest> reqs;
  for (int i = 0; i < 200; ++i) {
    int first = static_cast<int>(rng() % 100);
    reqs.push_back({1 + rng() % 5000, first, first + static_cast<int>(rng() % 20)});
  }
  MemoryPlan plan = plan_memory(reqs, 64);
  size_t sum = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    sum += reqs[i].bytes;
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.total);
    for (size_t j = 0; j < i; ++j) {
      bool live_together = reqs[i].first <= reqs[j].last && reqs[j].first <= reqs[i].last;
      bool overlap = plan.offsets[i] < plan.offsets[j] + reqs[j].bytes && plan.offsets[j] < plan.offsets[i] + reqs[i].bytes;
      EXPECT_FALSE(live_together && overlap) << i << " and " << j;
    }
  }
  EXPECT_LT(plan.total, sum);  // reuse happened
}

TEST(MemoryPlanner, ChainReusesTwoBuffers) {
  // a -> b -> c -> d: each buffer dies when the next is written, so two slots suffice.
  std::vector<BufferRequest> reqs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 3}};
  EXPECT_EQ(plan_memory(reqs, 64).total, 2048u);
}

}  // namespace lre
