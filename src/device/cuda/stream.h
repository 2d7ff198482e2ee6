// CUDA streams and events as owned C++ objects. A CudaStream either creates its own non-blocking
// stream (never synchronising with the legacy default stream) or wraps a stream the caller owns;
// a CudaEvent orders work across streams without a host wait.
#pragma once

#include <cuda_runtime_api.h>

namespace lre::cuda {

class CudaStream {
 public:
  // Creates and owns a cudaStreamNonBlocking stream on the current device. CUDA's convention:
  // lower numbers are higher priority; `priority` is clamped to the device's range.
  explicit CudaStream(int priority = 0);
  // Wraps `stream` without owning it; the caller keeps it alive for this object's lifetime. The
  // legacy and per-thread default streams are refused: work on them serialises with everything.
  static CudaStream wrap(cudaStream_t stream);
  ~CudaStream();

  CudaStream(CudaStream&& other) noexcept;
  CudaStream& operator=(CudaStream&& other) noexcept;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  cudaStream_t get() const { return stream_; }
  operator cudaStream_t() const { return stream_; }  // NOLINT: passes straight to launchers
  bool owned() const { return owned_; }
  int priority() const;

  // True when all work enqueued so far has finished; never blocks.
  bool query() const;
  // Host wait for all enqueued work. Only where a synchronous API returns (ExecutionContext::run)
  // or at load time; everything else orders work with events.
  void synchronize() const;

  // The highest priority (numerically lowest) the current device offers.
  static int greatest_priority();

 private:
  CudaStream(cudaStream_t stream, bool owned) : stream_(stream), owned_(owned) {}
  void release() noexcept;

  cudaStream_t stream_ = nullptr;
  bool owned_ = false;
};

class CudaEvent {
 public:
  // Timing is off by default: timed events cost more to record and are only for benchmarks.
  explicit CudaEvent(unsigned flags = cudaEventDisableTiming);
  ~CudaEvent();

  CudaEvent(CudaEvent&& other) noexcept;
  CudaEvent& operator=(CudaEvent&& other) noexcept;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  cudaEvent_t get() const { return event_; }

  // Captures the work enqueued on `stream` so far.
  void record(cudaStream_t stream);
  // Makes `stream` wait, on the device, for the work captured by the last record().
  void wait_on(cudaStream_t stream) const;
  // True when the captured work has finished; never blocks.
  bool query() const;
  // Host wait for the captured work (load time, synchronous APIs, tests).
  void synchronize() const;
  // Milliseconds between two records of timed events (flags = cudaEventDefault).
  static float elapsed_ms(const CudaEvent& start, const CudaEvent& end);

 private:
  void release() noexcept;

  cudaEvent_t event_ = nullptr;
};

}  // namespace lre::cuda
