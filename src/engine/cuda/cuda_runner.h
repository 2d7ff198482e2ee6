// Runs a CUDA engine for one ExecutionContext. Everything goes to the context's stream: input
// copies (host data through pinned staging), kernels, library calls and output copies. The first
// run of an input-shape signature runs eagerly and records a plan (node placement, one device
// arena); later runs replay the plan, as a CUDA graph once it has run eagerly twice.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/engine_impl.h"

namespace lre {

class CudaRunner {
 public:
  CudaRunner(const Engine::Impl& engine, const ContextOptions& options, ThreadPool& pool);
  ~CudaRunner();
  CudaRunner(const CudaRunner&) = delete;
  CudaRunner& operator=(const CudaRunner&) = delete;

  // `inputs` holds one validated tensor per engine input, in the engine's order. With `wait` the
  // call returns when the results are ready and outputs may be host tensors; without, it returns
  // once the work is enqueued and outputs are device tensors.
  void run(std::span<const Tensor* const> inputs, std::vector<Tensor>& outputs, bool wait);
  void synchronize();
  void* stream() const;
  size_t arena_bytes() const;
  std::vector<std::string> cpu_fallback_nodes() const;  // of the plan made most recently

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace lre
