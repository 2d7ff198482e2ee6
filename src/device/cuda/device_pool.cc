// DevicePool on cudaMemPoolCreate (a pool of our own, so its statistics and release threshold are
// not shared with other libraries using the device's default pool), DeviceBuffer and PinnedBuffer.
#include "device/cuda/device_pool.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::cuda {

DevicePool::DevicePool(int device) : device_(device) {
  cudaMemPoolProps props = {};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  LRE_CUDA_CHECK(cudaMemPoolCreate(&pool_, &props));
  // Keep every freed byte: returning memory to the driver at each synchronisation point would
  // make the next run allocate from the driver again.
  uint64_t threshold = UINT64_MAX;
  LRE_CUDA_CHECK(cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &threshold));
}

DevicePool& DevicePool::of(int device) {
  static std::mutex mutex;
  // Never destroyed (see the header); unique_ptr only for ownership while the process runs.
  static auto* pools = new std::vector<std::unique_ptr<DevicePool>>();
  int count = 0;
  LRE_CUDA_CHECK(cudaGetDeviceCount(&count));
  if (device < 0 || device >= count)
    throw Error(ErrorCode::InvalidArgument,
                "DevicePool: device " + std::to_string(device) + " does not exist (" + std::to_string(count) + " devices)");
  std::lock_guard<std::mutex> lock(mutex);
  if (pools->size() < static_cast<size_t>(count)) pools->resize(static_cast<size_t>(count));
  auto& pool = (*pools)[static_cast<size_t>(device)];
  if (!pool) pool.reset(new DevicePool(device));
  return *pool;
}

cudaStream_t release_stream(int device) {
  static std::mutex mutex;
  static auto* streams = new std::vector<cudaStream_t>();  // never destroyed, like the pools
  std::lock_guard<std::mutex> lock(mutex);
  if (streams->size() <= static_cast<size_t>(device)) streams->resize(static_cast<size_t>(device) + 1, nullptr);
  cudaStream_t& s = (*streams)[static_cast<size_t>(device)];
  if (!s) {
    int current = 0;
    LRE_CUDA_CHECK(cudaGetDevice(&current));
    LRE_CUDA_CHECK(cudaSetDevice(device));
    const cudaError_t status = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    LRE_CUDA_CHECK(cudaSetDevice(current));
    LRE_CUDA_CHECK(status);
  }
  return s;
}

DevicePool& DevicePool::current() {
  int device = 0;
  LRE_CUDA_CHECK(cudaGetDevice(&device));
  return of(device);
}

void* DevicePool::allocate(size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return nullptr;
  void* ptr = nullptr;
  LRE_CUDA_CHECK(cudaMallocFromPoolAsync(&ptr, bytes, pool_, stream));
  return ptr;
}

void DevicePool::deallocate(void* ptr, cudaStream_t stream) {
  if (ptr) LRE_CUDA_CHECK(cudaFreeAsync(ptr, stream));
}

size_t DevicePool::attribute(cudaMemPoolAttr attr) const {
  uint64_t value = 0;
  LRE_CUDA_CHECK(cudaMemPoolGetAttribute(pool_, attr, &value));
  return static_cast<size_t>(value);
}

size_t DevicePool::reserved_bytes() const { return attribute(cudaMemPoolAttrReservedMemCurrent); }
size_t DevicePool::used_bytes() const { return attribute(cudaMemPoolAttrUsedMemCurrent); }

void DevicePool::trim(size_t keep_bytes) { LRE_CUDA_CHECK(cudaMemPoolTrimTo(pool_, keep_bytes)); }

DeviceBuffer::DeviceBuffer(DevicePool& pool, size_t bytes, cudaStream_t stream)
    : pool_(&pool), ptr_(pool.allocate(bytes, stream)), bytes_(bytes), stream_(stream) {}

DeviceBuffer::~DeviceBuffer() {
  // A destructor must not throw; a failed free means the context is broken and the next checked
  // call reports it.
  if (ptr_) (void)cudaFreeAsync(ptr_, stream_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      ptr_(std::exchange(other.ptr_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      stream_(std::exchange(other.stream_, nullptr)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) (void)cudaFreeAsync(ptr_, stream_);
    pool_ = std::exchange(other.pool_, nullptr);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void DeviceBuffer::reset() { reset(stream_); }

void DeviceBuffer::reset(cudaStream_t stream) {
  if (ptr_) pool_->deallocate(ptr_, stream);
  ptr_ = nullptr;
  bytes_ = 0;
}

PinnedBuffer::~PinnedBuffer() { release(); }

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    release();
    ptr_ = std::exchange(other.ptr_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void PinnedBuffer::reserve(size_t bytes) {
  if (bytes <= capacity_) return;
  release();
  // LRE_ALLOW_SYNC: pinned allocation happens only when staging needs grow, never in steady state.
  LRE_CUDA_CHECK(cudaHostAlloc(&ptr_, bytes, cudaHostAllocPortable));
  capacity_ = bytes;
}

void PinnedBuffer::release() noexcept {
  // LRE_ALLOW_SYNC: freeing pinned memory waits for the device; only on growth or destruction.
  if (ptr_) (void)cudaFreeHost(ptr_);
  ptr_ = nullptr;
  capacity_ = 0;
}

}  // namespace lre::cuda
