// Streams, events and error checks, and the rule the runtime lives by: nothing on the run path
// (launchers, pool allocation and free, pinned async copies) waits for another stream's work.
#include <chrono>
#include <thread>

#include "gpu_test_util.h"
#include "kernels/cuda/elementwise.cuh"
#include "spin.h"

namespace lre::test {

namespace {

using cuda::CudaEvent;
using cuda::CudaStream;

constexpr uint64_t kMs = 1000 * 1000;  // nanoseconds

class CudaStreams : public GpuTest {};

TEST_F(CudaStreams, CreatedStreamsDoNotSyncWithTheLegacyStream) {
  CudaStream s;
  unsigned flags = 0;
  LRE_CUDA_CHECK(cudaStreamGetFlags(s, &flags));
  EXPECT_EQ(flags, static_cast<unsigned>(cudaStreamNonBlocking));
  EXPECT_TRUE(s.owned());
}

TEST_F(CudaStreams, PriorityIsClampedToTheDeviceRange) {
  CudaStream high(-1000);
  EXPECT_EQ(high.priority(), CudaStream::greatest_priority());
}

TEST_F(CudaStreams, WrapRefusesDefaultStreams) {
  for (cudaStream_t s : {static_cast<cudaStream_t>(nullptr), cudaStreamLegacy, cudaStreamPerThread}) {
    try {
      (void)CudaStream::wrap(s);
      FAIL() << "expected lre::Error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    }
  }
}

TEST_F(CudaStreams, WrapDoesNotOwn) {
  cudaStream_t raw = nullptr;
  LRE_CUDA_CHECK(cudaStreamCreateWithFlags(&raw, cudaStreamNonBlocking));
  { CudaStream wrapped = CudaStream::wrap(raw); EXPECT_FALSE(wrapped.owned()); }
  EXPECT_EQ(cudaStreamQuery(raw), cudaSuccess) << "the wrapped stream was destroyed";
  LRE_CUDA_CHECK(cudaStreamDestroy(raw));
}

// An event orders B after A on the device, and the host only polls.
TEST_F(CudaStreams, EventOrdersStreamsWithoutHostWait) {
  CudaStream a, b;
  // Warm-up outside the timed part: the first launch of a kernel loads its module (lazy loading),
  // which waits for the whole device, and the first allocation grows the pool.
  {
    DeviceTensor w = poisoned(DType::Float32, 1024, b);
    cuda::launch_unary(cuda::UnaryOp::Abs, DType::Float32, w.data, w.data, 1024, b);
    b.synchronize();
  }
  launch_spin(100 * kMs, a);
  CudaEvent after_a, after_b;
  after_a.record(a);
  after_a.wait_on(b);
  DeviceTensor d = poisoned(DType::Float32, 1024, b);
  cuda::launch_unary(cuda::UnaryOp::Abs, DType::Float32, d.data, d.data, 1024, b);
  after_b.record(b);
  EXPECT_FALSE(after_b.query()) << "B ran ahead of the event it waits on";
  after_b.synchronize();
  EXPECT_TRUE(after_a.query());
  EXPECT_TRUE(a.query());
}

TEST_F(CudaStreams, CheckNamesTheCallAndThePlace) {
  try {
    LRE_CUDA_CHECK(cudaErrorInvalidValue);
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::Device);
    EXPECT_NE(what.find("cudaErrorInvalidValue"), std::string::npos) << what;
    EXPECT_NE(what.find("test_cuda_streams.cc:"), std::string::npos) << what;
  }
  try {
    LRE_CUDA_CHECK(cudaErrorMemoryAllocation);
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::OutOfMemory);
  }
  try {
    LRE_CUBLAS_CHECK(CUBLAS_STATUS_ALLOC_FAILED);
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::OutOfMemory);
    EXPECT_NE(std::string(e.what()).find("CUBLAS_STATUS_ALLOC_FAILED"), std::string::npos) << e.what();
  }
}

TEST_F(CudaStreams, LaunchCheckReportsBadConfigurations) {
  try {
    launch_spin(0, stream(), 4096);  // more threads a block than any GPU allows
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Device);
    EXPECT_NE(std::string(e.what()).find("kernel launch"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(launch_spin(0, stream()));  // the error was not sticky and has been cleared
}

// The run-path work of one step on stream B: pool allocations, a pinned upload, the three
// launchers, a pinned download, frees. Nothing here may wait for stream A.
void step_on(cudaStream_t b, cuda::PinnedBuffer& pinned, int64_t n) {
  auto& pool = cuda::DevicePool::current();
  cuda::DeviceBuffer x(pool, n * sizeof(float), b), y(pool, n * sizeof(float), b), h(pool, n * 2, b);
  LRE_CUDA_CHECK(cudaMemcpyAsync(x.data(), pinned.data(), n * sizeof(float), cudaMemcpyHostToDevice, b));
  cuda::launch_unary(cuda::UnaryOp::Sigmoid, DType::Float32, x.data(), y.data(), n, b);
  const Shape rows{n / 4, 4}, row{4};
  cuda::launch_binary(cuda::BinaryOp::Mul, DType::Float32, y.data(), rows, x.data(), row, y.data(), rows, b);
  cuda::launch_cast(DType::Float32, DType::Float16, y.data(), h.data(), n, b);
  LRE_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(pinned.data()) + n * sizeof(float), h.data(), n * 2,
                                 cudaMemcpyDeviceToHost, b));
  LRE_CUDA_CHECK(cudaMemsetAsync(x.data(), 0, n * sizeof(float), b));
}

TEST_F(CudaStreams, NoHiddenSync) {
  constexpr int64_t kN = 1 << 16;
  CudaStream a, b;
  cuda::PinnedBuffer pinned(kN * sizeof(float) + kN * 2);
  for (int64_t i = 0; i < kN; ++i) pinned.data_as<float>()[i] = static_cast<float>(i % 13) - 6.f;
  // Warm-up: loads the kernels (lazy module loading) and grows the pool, both outside the run path.
  step_on(b, pinned, kN);
  b.synchronize();

  launch_spin(200 * kMs, a);
  const auto start = std::chrono::steady_clock::now();
  step_on(b, pinned, kN);
  CudaEvent b_done;
  b_done.record(b);
  ASSERT_FALSE(a.query()) << "enqueuing B's work took until A's 200 ms spin ended: a call on B blocked the host";
  while (!b_done.query()) {
    ASSERT_FALSE(a.query()) << "B's work finished only after A's spin: something on B waited for stream A";
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "B's work never finished";
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  EXPECT_FALSE(a.query()) << "A's spin ended before B was seen done";
  a.synchronize();
  // B's result arrived: element 1 is sigmoid(x1) * x1 in fp16.
  const float x1 = pinned.data_as<float>()[1];
  const float want = x1 / (1.f + std::exp(-x1));
  const Half got = reinterpret_cast<const Half*>(static_cast<char*>(pinned.data()) + kN * sizeof(float))[1];
  EXPECT_NEAR(static_cast<float>(got), want, 1e-2 * std::fabs(want) + 1e-3);
}

}  // namespace

}  // namespace lre::test
