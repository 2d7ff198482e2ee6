// Device and pinned host memory for the run path. DevicePool is a stream-ordered allocator on a
// cudaMemPool_t per device that keeps freed memory (release threshold UINT64_MAX), so a steady
// state makes no driver allocations; DeviceBuffer and PinnedBuffer own one allocation each.
#pragma once

#include <cstddef>

#include <cuda_runtime_api.h>

namespace lre::cuda {

class DevicePool {
 public:
  // The pool of `device`, created on first use (load time: creating it may synchronise) and kept
  // for the life of the process, because destroying it during exit races the driver's teardown.
  static DevicePool& of(int device);
  // The pool of the current device.
  static DevicePool& current();

  // Memory usable by work on `stream` once the work enqueued on it so far has run. Throws
  // lre::Error(OutOfMemory) when the device has no room. 0 bytes gives nullptr.
  void* allocate(size_t bytes, cudaStream_t stream);
  // Returns `ptr` to the pool after the work enqueued on `stream` so far; work on other streams
  // that used it must be ordered before (an event waited on by `stream`).
  void deallocate(void* ptr, cudaStream_t stream);

  // Bytes the pool holds from the driver, and bytes handed out of them.
  size_t reserved_bytes() const;
  size_t used_bytes() const;
  // Gives memory beyond `keep_bytes` back to the driver (load time or under memory pressure;
  // it synchronises with the pool's streams).
  void trim(size_t keep_bytes);

  cudaMemPool_t handle() const { return pool_; }
  int device() const { return device_; }

  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;

 private:
  explicit DevicePool(int device);
  size_t attribute(cudaMemPoolAttr attr) const;

  cudaMemPool_t pool_ = nullptr;
  int device_ = 0;
};

// A non-blocking stream per device that lives as long as the process, on which memory handed to
// callers (tensors that may outlive every stream that used them) is returned to the pool.
cudaStream_t release_stream(int device);

// One stream-ordered allocation from a DevicePool, freed on its stream when destroyed.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DevicePool& pool, size_t bytes, cudaStream_t stream);
  ~DeviceBuffer();

  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return ptr_; }
  template <typename T> T* data_as() const { return static_cast<T*>(ptr_); }
  size_t size() const { return bytes_; }
  cudaStream_t stream() const { return stream_; }

  // Frees now, ordered after the work enqueued on `stream` (by default the allocating stream).
  void reset();
  void reset(cudaStream_t stream);

 private:
  DevicePool* pool_ = nullptr;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  cudaStream_t stream_ = nullptr;
};

// Page-locked host memory for staging copies with cudaMemcpyAsync (a pageable source makes the
// copy synchronous). Growing calls the driver and synchronises, so reserve() belongs where shapes
// change or at load time, never in a steady-state run; the buffer never shrinks and is reused.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes) { reserve(bytes); }
  ~PinnedBuffer();

  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  // Makes room for at least `bytes`; contents are not kept when it grows. A no-op when it fits.
  void reserve(size_t bytes);

  void* data() const { return ptr_; }
  template <typename T> T* data_as() const { return static_cast<T*>(ptr_); }
  size_t capacity() const { return capacity_; }

 private:
  void release() noexcept;

  void* ptr_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace lre::cuda
