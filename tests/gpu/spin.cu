// The spin kernel of spin.h: reads the GPU's global nanosecond timer until the time is up, so its
// length does not depend on the clock rate.
#include "device/cuda/cuda_check.h"
#include "spin.h"

namespace lre::test {

namespace {

__device__ __forceinline__ uint64_t global_timer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void spin_kernel(uint64_t nanoseconds) {
  const uint64_t start = global_timer_ns();
  while (global_timer_ns() - start < nanoseconds) __nanosleep(1000);
}

}  // namespace

void launch_spin(uint64_t nanoseconds, cudaStream_t stream, unsigned threads) {
  spin_kernel<<<1, threads, 0, stream>>>(nanoseconds);
  LRE_CUDA_CHECK_LAUNCH();
}

}  // namespace lre::test
