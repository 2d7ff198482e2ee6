// Runs fn(begin, end) over [0, n) on a thread pool when one is given, inline otherwise, so CPU
// kernels can take an optional pool (nullptr for single-threaded callers such as tests or CUDA twins).
#pragma once

#include <cstdint>
#include <functional>

#include "core/thread_pool.h"

namespace lre::cpu {

inline void maybe_parallel(ThreadPool* pool, int64_t n, int64_t grain,
                           const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (pool) pool->parallel_for(n, grain, fn);
  else fn(0, n);
}

}  // namespace lre::cpu
