// CudaStream and CudaEvent. Destructors never throw: a failing destroy only means the context is
// already broken, and the next checked call reports that sticky error.
#include "device/cuda/stream.h"

#include <algorithm>
#include <utility>

#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::cuda {

CudaStream::CudaStream(int priority) : owned_(true) {
  int least = 0, greatest = 0;
  LRE_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  // greatest is numerically the smallest (e.g. -5), least the largest (0).
  priority = std::clamp(priority, greatest, least);
  LRE_CUDA_CHECK(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, priority));
}

CudaStream CudaStream::wrap(cudaStream_t stream) {
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread)
    throw Error(ErrorCode::InvalidArgument,
                "CudaStream::wrap: expected a created stream, got a default stream (work on it would serialise "
                "with every other stream)");
  return CudaStream(stream, false);
}

CudaStream::~CudaStream() { release(); }

CudaStream::CudaStream(CudaStream&& other) noexcept
    : stream_(std::exchange(other.stream_, nullptr)), owned_(std::exchange(other.owned_, false)) {}

CudaStream& CudaStream::operator=(CudaStream&& other) noexcept {
  if (this != &other) {
    release();
    stream_ = std::exchange(other.stream_, nullptr);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void CudaStream::release() noexcept {
  // cudaStreamDestroy returns at once; work already enqueued still completes.
  if (owned_ && stream_) (void)cudaStreamDestroy(stream_);
  stream_ = nullptr;
  owned_ = false;
}

int CudaStream::priority() const {
  int p = 0;
  LRE_CUDA_CHECK(cudaStreamGetPriority(stream_, &p));
  return p;
}

bool CudaStream::query() const {
  const cudaError_t status = cudaStreamQuery(stream_);
  if (status == cudaErrorNotReady) return false;
  LRE_CUDA_CHECK(status);
  return true;
}

void CudaStream::synchronize() const {
  LRE_CUDA_CHECK(cudaStreamSynchronize(stream_));  // LRE_ALLOW_SYNC: the one host wait, for synchronous APIs
}

int CudaStream::greatest_priority() {
  int least = 0, greatest = 0;
  LRE_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  return greatest;
}

CudaEvent::CudaEvent(unsigned flags) { LRE_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags)); }

CudaEvent::~CudaEvent() { release(); }

CudaEvent::CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

CudaEvent& CudaEvent::operator=(CudaEvent&& other) noexcept {
  if (this != &other) {
    release();
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void CudaEvent::release() noexcept {
  if (event_) (void)cudaEventDestroy(event_);
  event_ = nullptr;
}

void CudaEvent::record(cudaStream_t stream) { LRE_CUDA_CHECK(cudaEventRecord(event_, stream)); }

void CudaEvent::wait_on(cudaStream_t stream) const { LRE_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0)); }

bool CudaEvent::query() const {
  const cudaError_t status = cudaEventQuery(event_);
  if (status == cudaErrorNotReady) return false;
  LRE_CUDA_CHECK(status);
  return true;
}

void CudaEvent::synchronize() const { LRE_CUDA_CHECK(cudaEventSynchronize(event_)); }

float CudaEvent::elapsed_ms(const CudaEvent& start, const CudaEvent& end) {
  float ms = 0;
  LRE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, end.event_));
  return ms;
}

}  // namespace lre::cuda
