// The two public objects of the runtime. An Engine is compiled once from an ONNX model and never
// changes afterwards, so any number of threads share it. An ExecutionContext is what one thread uses
// to run an engine: its stream (CUDA) or thread pool (CPU), its activation arena, its plans per
// input-shape signature and, on a GPU, its captured CUDA graphs.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lre/error.h"
#include "lre/tensor.h"

namespace lre {

enum class Precision { Fp32, Fp16, Bf16 };

struct EngineOptions {
  Device device = Device::cpu();
  Precision precision = Precision::Fp32;  // Fp16/Bf16 (CUDA only): float weights and activations
  // Engine cache directory (created if missing; empty for none): the optimised graph and the
  // tuning choices are kept there per model, options and machine, so a later load skips the
  // checker, the passes and the timing of algorithms. An unwritable directory only disables it.
  std::string cache_dir;
  bool check_model = true;       // run the ONNX model checker at load
  bool optimize = true;          // constant folding and dead-node removal
};

// What `lre info` prints: a model at a glance.
struct ModelSummary {
  std::string name;              // graph name, or the file name
  std::string producer;
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;     // domain ("" is ai.onnx) -> version
  std::map<std::string, int> op_counts;      // op type -> nodes after optimisation
  int nodes_loaded = 0;          // before optimisation
  int nodes_compiled = 0;        // after constant folding and dead-node removal
  int64_t parameters = 0;        // elements in initializers
  size_t parameter_bytes = 0;
  bool from_cache = false;       // compiled from an engine cache entry (EngineOptions::cache_dir)
};

class Engine {
 public:
  static std::shared_ptr<const Engine> load(const std::string& path, const EngineOptions& options = {});
  // `base_dir` resolves external-data file names; `name` appears in error messages.
  static std::shared_ptr<const Engine> load_from_memory(std::string_view bytes, const EngineOptions& options = {},
                                                        const std::string& base_dir = ".",
                                                        const std::string& name = "<memory>");
  ~Engine();

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  const ModelSummary& summary() const;
  const EngineOptions& options() const;

  // Bytes of the activation arena a run with these input shapes needs (static memory plan).
  size_t planned_arena_bytes(const std::map<std::string, Shape>& input_shapes) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ContextOptions {
  int threads = 0;  // CPU worker threads for this context; 0 picks the hardware concurrency
  // CUDA engines: the cudaStream_t every operation of this context is enqueued on. The caller
  // keeps it alive while the context lives. Null: the context creates its own non-blocking stream.
  void* cuda_stream = nullptr;
  // Priority of the context's own stream, CUDA's convention: lower is more urgent (clamped to the
  // device's range; -5 or below is the highest on current GPUs). Ignored for a caller's stream.
  int priority = 0;
  // Replay each input-shape signature's run as a CUDA graph once it has run eagerly (all nodes
  // on the device); removes per-kernel launch cost.
  bool cuda_graphs = true;
  // Where run() places outputs it allocates (callers may also pass their own output tensors).
  Device output_device = Device::cpu();
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class ExecutionContext {
 public:
  explicit ExecutionContext(std::shared_ptr<const Engine> engine, const ContextOptions& options = {});
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  // Runs the model; outputs come back in the engine's output order, in fresh tensors.
  std::vector<Tensor> run(const NamedTensors& inputs);
  // Same, writing into `outputs` where they already have the right dtype and shape (no allocation
  // in steady state); the others are replaced by fresh tensors.
  void run(const NamedTensors& inputs, std::vector<Tensor>& outputs);

  // CUDA engines: enqueues the run on the context's stream and returns without waiting. Inputs may
  // be host or device tensors (host inputs are staged through pinned memory, so the caller may
  // reuse them at once); outputs must be device tensors or are made on the device. Results are
  // ready when the stream reaches this point: synchronize(), or an event recorded on cuda_stream().
  // A CPU engine runs synchronously here.
  void enqueue(const NamedTensors& inputs, std::vector<Tensor>& outputs);
  // Host wait for everything enqueued so far.
  void synchronize();
  // The cudaStream_t of a CUDA context, null for a CPU context.
  void* cuda_stream() const;

  const Engine& engine() const { return *engine_; }
  size_t arena_bytes() const;  // bytes of the activation arena currently held
  int threads() const;
  // CUDA engines: nodes that run on the CPU for want of a device kernel, in the plan made most
  // recently (as errors name nodes: "node 'name' (OpType)"); each costs a round trip to the
  // host and keeps the run out of CUDA graphs.
  std::vector<std::string> cpu_fallback_nodes() const;

  struct State;

 private:
  void resolve_inputs(const NamedTensors& inputs);  // names to engine order, validated

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<State> state_;
};

}  // namespace lre
