// The operator interface. A Kernel is made once per node when an engine is compiled (attributes
// parsed then), is immutable afterwards, and is shared by every context that runs the engine.
// A run calls infer() for output shapes, then compute() (CPU) or compute_cuda() (CUDA) with
// outputs already allocated. One shape rule per op serves both backends.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "graph/graph.h"
#include "lre/tensor.h"

namespace lre {

namespace cuda {
struct KernelEnv;  // the context's stream, library handles and workspace (device/cuda/kernel_env.h)
}

struct TensorDesc {
  DType dtype = DType::Float32;
  Shape shape;
  bool present = true;  // false for an omitted optional input (cuda_supports sees those too)
};

// Inputs are nullptr where an optional input is omitted. Output tensors are allocated by the
// engine from the descs infer() returned.
struct KernelContext {
  std::span<const Tensor* const> inputs;
  std::span<Tensor* const> outputs;
  ThreadPool& pool;
  cuda::KernelEnv* cuda = nullptr;  // set when the node runs on a CUDA device
  // CUDA: host copies of inputs where the runtime has them (constants and values computed from
  // shapes); always present for shape_value_inputs(), so Slice's starts need no device read.
  std::span<const Tensor* const> host_inputs = {};

  const Tensor* host_in(size_t i) const { return i < host_inputs.size() ? host_inputs[i] : nullptr; }

  const Tensor& in(size_t i) const { return *inputs[i]; }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  Tensor& out(size_t i) const { return *outputs[i]; }
  bool has_output(size_t i) const { return i < outputs.size() && outputs[i] != nullptr; }
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Output dtypes and shapes. Inputs are host tensors with data, so ops whose output shape depends
  // on input values (Reshape's shape, Slice's starts) read them here. Throws on invalid inputs.
  virtual std::vector<TensorDesc> infer(std::span<const Tensor* const> inputs) const = 0;

  virtual void compute(KernelContext& ctx) const = 0;

  // CUDA: whether compute_cuda() handles inputs of these dtypes and shapes (storage dtypes: under
  // fp16 precision, float tensors arrive as Float16). Nodes it refuses run on the CPU, with copies.
  virtual bool cuda_supports(std::span<const TensorDesc> inputs) const {
    (void)inputs;
    return false;
  }
  // Inputs and outputs are device tensors; everything is enqueued on ctx.cuda's stream. Kernels
  // take dtypes from the tensors, never from attributes, so reduced precision flows through.
  virtual void compute_cuda(KernelContext& ctx) const;

  // Inputs whose values (not only shapes) determine the output shapes.
  virtual std::vector<int> shape_value_inputs() const { return {}; }
  // Output sizes depend on the data itself (NonZero): shapes are inferred again on every run.
  virtual bool data_dependent_shape() const { return false; }
};

struct KernelInit {
  const Node& node;
  int opset;  // version of the node's domain the model imports
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelInit&)>;

// Ops are registered per (domain, op type, device kind) by static registrars in each op file.
void register_kernel(const std::string& domain, const std::string& op_type, Device::Kind device,
                     KernelFactory factory);
const KernelFactory* find_kernel(const std::string& domain, const std::string& op_type, Device::Kind device);
std::vector<std::string> registered_ops(Device::Kind device);  // "Conv", "com.microsoft.Gelu", ...

struct KernelRegistrar {
  KernelRegistrar(const char* domain, const char* op_type, Device::Kind device, KernelFactory factory) {
    register_kernel(domain, op_type, device, std::move(factory));
  }
};

// Registers `Class` (constructible from const KernelInit&) as the CPU kernel of ai.onnx `op`.
#define LRE_CPU_KERNEL(op, Class)                                                               \
  static const ::lre::KernelRegistrar lre_cpu_registrar_##op(                                   \
      "", #op, ::lre::Device::Kind::Cpu,                                                        \
      [](const ::lre::KernelInit& init) -> std::unique_ptr<::lre::Kernel> { return std::make_unique<Class>(init); })

}  // namespace lre
