// A kernel that keeps one stream busy for a set time, so tests can see whether work on another
// stream waits for it (a hidden synchronisation) or runs beside it.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

namespace lre::test {

// Enqueues a kernel on `stream` whose threads spin for `nanoseconds` of GPU time (one block of
// `threads`; more than the GPU allows makes a launch error, for testing the launch check).
void launch_spin(uint64_t nanoseconds, cudaStream_t stream, unsigned threads = 1);

}  // namespace lre::test
