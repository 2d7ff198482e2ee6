// Scratch buffers that only grow: the first step of the largest batch pays for them, later steps
// reuse them.
#include "asr/cpu_context.h"

namespace lre::asr {

namespace {

template <typename T>
T* grow(std::vector<std::vector<T>>& buffers, size_t slot, size_t count) {
  if (slot >= buffers.size()) buffers.resize(slot + 1);
  std::vector<T>& b = buffers[slot];
  if (b.size() < count) {
    b.clear();  // nothing to preserve, so no copy on growth
    b.resize(count);
  }
  return b.data();
}

}  // namespace

CpuContext::CpuContext(ThreadPool* pool) : pool_(pool) {}

CpuContext::CpuContext(int threads) : owned_pool_(std::make_unique<ThreadPool>(threads)), pool_(owned_pool_.get()) {}

float* CpuContext::floats(size_t slot, size_t count) { return grow(floats_, slot, count); }

int* CpuContext::ints(size_t slot, size_t count) { return grow(ints_, slot, count); }

size_t CpuContext::scratch_bytes() const {
  size_t bytes = 0;
  for (const auto& b : floats_) bytes += b.capacity() * sizeof(float);
  for (const auto& b : ints_) bytes += b.capacity() * sizeof(int);
  return bytes;
}

}  // namespace lre::asr
