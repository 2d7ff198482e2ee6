// DevicePool, DeviceBuffer and PinnedBuffer: steady state makes no driver allocations, out of
// memory has its own error code, buffers move and free on their stream, pinned copies round-trip.
#include <vector>

#include "gpu_test_util.h"

namespace lre::test {

namespace {

using cuda::DeviceBuffer;
using cuda::DevicePool;
using cuda::PinnedBuffer;

class CudaMemory : public GpuTest {};

TEST_F(CudaMemory, SteadyStateMakesNoDriverAllocations) {
  DevicePool& p = pool();
  const size_t sizes[] = {256, 4096, 100003, 1 << 20, (3 << 20) + 5, 64 << 20};
  auto cycle = [&] {
    std::vector<DeviceBuffer> buffers;
    for (size_t s : sizes) buffers.emplace_back(p, s, stream());
  };
  cycle();
  sync();
  const size_t reserved = p.reserved_bytes();
  EXPECT_GT(reserved, size_t{64} << 20);
  for (int i = 0; i < 1000; ++i) cycle();
  sync();
  EXPECT_EQ(p.reserved_bytes(), reserved) << "the pool went back to the driver during 1000 identical cycles";
}

TEST_F(CudaMemory, OutOfMemoryHasItsOwnCode) {
  try {
    DeviceBuffer huge(pool(), size_t{1} << 50, stream());  // a petabyte
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::OutOfMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("cudaMallocFromPoolAsync"), std::string::npos) << e.what();
  }
  // The failure is not sticky: the pool still serves.
  DeviceBuffer small(pool(), 1024, stream());
  EXPECT_NE(small.data(), nullptr);
}

TEST_F(CudaMemory, ZeroBytesIsNull) {
  DeviceBuffer empty(pool(), 0, stream());
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
}

TEST_F(CudaMemory, BuffersMoveAndReset) {
  DeviceBuffer a(pool(), 4096, stream());
  void* ptr = a.data();
  DeviceBuffer b = std::move(a);
  EXPECT_EQ(b.data(), ptr);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  b.reset();
  EXPECT_EQ(b.data(), nullptr);
  DeviceBuffer c(pool(), 128, stream());
  c = DeviceBuffer(pool(), 256, stream());
  EXPECT_EQ(c.size(), 256u);
}

TEST_F(CudaMemory, PinnedBufferGrowsOnlyWhenNeededAndRoundTrips) {
  PinnedBuffer pinned(1000);
  void* first = pinned.data();
  pinned.reserve(500);
  EXPECT_EQ(pinned.data(), first);
  EXPECT_EQ(pinned.capacity(), 1000u);
  pinned.reserve(8192);
  EXPECT_GE(pinned.capacity(), 8192u);
  cudaPointerAttributes attrs{};
  LRE_CUDA_CHECK(cudaPointerGetAttributes(&attrs, pinned.data()));
  EXPECT_EQ(attrs.type, cudaMemoryTypeHost) << "not page-locked memory";

  int* h = pinned.data_as<int>();
  for (int i = 0; i < 1024; ++i) h[i] = i * 7 - 3;
  DeviceBuffer d(pool(), 1024 * sizeof(int), stream());
  LRE_CUDA_CHECK(cudaMemcpyAsync(d.data(), h, 1024 * sizeof(int), cudaMemcpyHostToDevice, stream()));
  LRE_CUDA_CHECK(cudaMemcpyAsync(h + 1024, d.data(), 1024 * sizeof(int), cudaMemcpyDeviceToHost, stream()));
  sync();
  for (int i = 0; i < 1024; ++i) ASSERT_EQ(h[1024 + i], i * 7 - 3) << "element " << i;
}

}  // namespace

}  // namespace lre::test
