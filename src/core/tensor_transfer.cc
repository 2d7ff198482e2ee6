// Tensor::to: copies between the host and CUDA devices for set-up code and tests. Device memory
// comes from the device's pool and goes back to it on a process-wide stream when the last
// handle drops, so a tensor may outlive whatever stream it was used on.
#include "lre/error.h"
#include "lre/tensor.h"

#if LRE_WITH_CUDA
#include "device/cuda/cuda_check.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/stream.h"
#endif

namespace lre {

Tensor Tensor::to(Device device) const {
  if (!defined()) throw Error(ErrorCode::InvalidArgument, "Tensor::to: undefined tensor");
  if (device == device_) return *this;
#if LRE_WITH_CUDA
  const Device gpu = device.is_cpu() ? device_ : device;
  LRE_CUDA_CHECK(cudaSetDevice(gpu.index));
  cuda::CudaStream stream;
  if (device.is_cpu()) {
    Tensor out(dtype_, shape_);
    if (nbytes()) LRE_CUDA_CHECK(cudaMemcpyAsync(out.raw(), raw(), nbytes(), cudaMemcpyDeviceToHost, stream));
    stream.synchronize();
    return out;
  }
  if (!device_.is_cpu()) throw Error(ErrorCode::Unsupported, "Tensor::to: copies between two GPUs");
  cuda::DevicePool& pool = cuda::DevicePool::of(device.index);
  void* p = pool.allocate(nbytes(), stream);
  cudaStream_t release = cuda::release_stream(device.index);
  std::shared_ptr<void> storage(p, [release](void* q) {
    if (q) (void)cudaFreeAsync(q, release);
  });
  if (nbytes()) LRE_CUDA_CHECK(cudaMemcpyAsync(p, raw(), nbytes(), cudaMemcpyHostToDevice, stream));
  stream.synchronize();
  return from_storage(std::move(storage), p, dtype_, shape_, device);
#else
  throw Error(ErrorCode::Unsupported, "Tensor::to(" + device.to_string() + "): this build has no CUDA backend");
#endif
}

}  // namespace lre
