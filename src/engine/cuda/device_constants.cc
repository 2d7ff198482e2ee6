// Constant upload: decide which constants the device needs, convert on the host, copy through one
// pinned staging buffer. Constants read only as shape values (Reshape's shape, Slice's starts)
// or only by nodes computed on the CPU stay on the host.
#include "engine/cuda/device_constants.h"

#include <cstring>

#include "device/cuda/cuda_check.h"
#include "kernels/cpu/cast.h"

namespace lre {

namespace {

constexpr size_t kAlignment = 256;  // what cudaMalloc gives; vectorised kernels rely on it

size_t aligned(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

std::shared_ptr<const DeviceConstants> upload_constants(const Engine::Impl& e) {
  const Graph& g = e.graph;
  std::vector<char> needed(g.values.size(), 0);
  for (const CompiledNode& c : e.nodes) {
    const Node& n = g.nodes[c.node];
    bool node_fixed = true;
    for (int o : n.outputs)
      if (o != kNoValue && !e.value_fixed[o]) node_fixed = false;
    if (node_fixed) continue;
    const std::vector<int> shape_inputs = c.kernel->shape_value_inputs();
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int v = n.inputs[i];
      if (v == kNoValue || !g.values[v].is_constant) continue;
      if (std::find(shape_inputs.begin(), shape_inputs.end(), static_cast<int>(i)) != shape_inputs.end()) continue;
      needed[v] = 1;
    }
  }

  auto out = std::make_shared<DeviceConstants>();
  out->device = e.options.device.index;
  LRE_CUDA_CHECK(cudaSetDevice(out->device));
  out->stream = cuda::CudaStream();
  out->values.resize(g.values.size());
  std::vector<size_t> offsets(g.values.size(), 0);
  size_t total = 0;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!needed[v]) continue;
    offsets[v] = total;
    const Tensor& t = g.values[v].constant;
    total += aligned(static_cast<size_t>(t.numel()) * dtype_size(e.storage_dtype(t.dtype())));
  }
  out->bytes = total;
  if (total == 0) return out;

  cuda::PinnedBuffer staging(total);
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!needed[v]) continue;
    const Tensor& t = g.values[v].constant;
    const DType storage = e.storage_dtype(t.dtype());
    char* dst = staging.data_as<char>() + offsets[v];
    if (storage == t.dtype()) {
      if (t.nbytes()) std::memcpy(dst, t.raw(), t.nbytes());
    } else {
      cpu::cast(t.raw(), t.dtype(), dst, storage, t.numel(), nullptr);
    }
  }
  out->buffer = cuda::DeviceBuffer(cuda::DevicePool::of(out->device), total, out->stream);
  LRE_CUDA_CHECK(cudaMemcpyAsync(out->buffer.data(), staging.data(), total, cudaMemcpyHostToDevice, out->stream));
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!needed[v]) continue;
    const Tensor& t = g.values[v].constant;
    out->values[v] = Tensor::wrap(out->buffer.data_as<char>() + offsets[v], e.storage_dtype(t.dtype()), t.shape(),
                                  Device::cuda(out->device));
  }
  // Load time: the staging buffer must outlive the copy, and the weights must be in place before
  // any context's stream reads them (those streams have no event to wait on).
  out->stream.synchronize();
  return out;
}

}  // namespace lre
