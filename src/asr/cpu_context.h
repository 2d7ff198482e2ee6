// What one thread uses to run a Whisper model on the CPU: a thread pool and scratch buffers. The
// model is immutable and shared by any number of contexts; the buffers here grow to the largest
// batch seen and are then reused, so a steady decode loop does not allocate.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "core/thread_pool.h"

namespace lre::asr {

class CpuContext {
 public:
  // Borrows `pool` (may be null: everything runs on the calling thread).
  explicit CpuContext(ThreadPool* pool = nullptr);
  // Owns a pool of `threads` threads, the caller included (0: one per hardware thread).
  explicit CpuContext(int threads);
  CpuContext(const CpuContext&) = delete;
  CpuContext& operator=(const CpuContext&) = delete;

  ThreadPool* pool() const { return pool_; }

  // Scratch of at least `count` elements kept under `slot` between calls. The encoder and decoder
  // number their own slots; they never run at once on one context. Contents are unspecified.
  float* floats(size_t slot, size_t count);
  int* ints(size_t slot, size_t count);

  size_t scratch_bytes() const;  // held now, for tests and memory accounting

 private:
  std::unique_ptr<ThreadPool> owned_pool_;
  ThreadPool* pool_ = nullptr;
  std::vector<std::vector<float>> floats_;
  std::vector<std::vector<int>> ints_;
};

}  // namespace lre::asr
