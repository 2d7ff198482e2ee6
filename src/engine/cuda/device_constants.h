// The weights of a CUDA engine on its device: every constant a GPU-side node reads, converted
// once at load to the engine's storage dtype (float16/bfloat16 under reduced precision) and packed
// in one allocation. Immutable after load and shared by every context.
#pragma once

#include <memory>
#include <vector>

#include "device/cuda/device_pool.h"
#include "device/cuda/stream.h"
#include "engine/engine_impl.h"

namespace lre {

struct DeviceConstants {
  int device = 0;
  cuda::CudaStream stream;   // the load stream; the buffer is freed on it
  cuda::DeviceBuffer buffer;
  std::vector<Tensor> values;  // per graph value: device view in the storage dtype, or undefined
  size_t bytes = 0;

  DeviceConstants() = default;
  DeviceConstants(const DeviceConstants&) = delete;
  DeviceConstants& operator=(const DeviceConstants&) = delete;
};

// Uploads the constants of `engine` (whose graph, nodes and value_fixed are final) to the device
// of its options. Load time: it synchronises with its own stream before returning.
std::shared_ptr<const DeviceConstants> upload_constants(const Engine::Impl& engine);

}  // namespace lre
