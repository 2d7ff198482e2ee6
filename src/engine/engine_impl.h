// What a compiled engine holds: the optimised graph, one kernel per node, and the facts about
// values (producer, last reader, graph output) that contexts use to plan memory.
#pragma once

#include <memory>
#include <vector>

#include "engine/tuning_table.h"
#include "graph/graph.h"
#include "lre/engine.h"
#include "ops/kernel.h"

namespace lre {

struct DeviceConstants;  // engine/cuda/device_constants.h
class EngineCache;      // engine/engine_cache.h

// Rethrows the exception in flight as lre::Error naming the model and the node it came from
// (std::bad_alloc as OutOfMemory), so every run path reports failures the same way.
[[noreturn]] void rethrow_for_node(const std::string& model, const Node& node);

struct CompiledNode {
  int node = 0;  // index into graph.nodes
  std::unique_ptr<Kernel> kernel;
};

struct Engine::Impl {
  EngineOptions options;
  std::string model_name;
  Graph graph;
  ModelSummary summary;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<CompiledNode> nodes;
  std::vector<int> producer;    // per value: node index that writes it, or -1
  std::vector<int> last_use;    // per value: last node index that reads it, or -1
  std::vector<int> output_slot; // per value: index in graph outputs, or -1
  // True when every output shape follows from the input shapes alone, so a run whose input shapes
  // were seen before can skip shape inference and use the stored plan as is.
  bool shapes_follow_inputs = true;
  // Per value: fixed by the input shapes alone (constants, Shape/Size outputs and what is computed
  // from those). On a GPU such values are computed once per input-shape signature, on the CPU.
  std::vector<char> value_fixed;
  // CUDA engines: the constants on the device, in the storage dtype of the engine's precision.
  std::shared_ptr<const DeviceConstants> device_constants;
  // Tuning choices shared by every context (seeded from the cache entry on a hit).
  std::shared_ptr<TuningTable> tuning = std::make_shared<TuningTable>();
  // The engine's cache entry, when loaded with a cache_dir; its tuning table is saved there after
  // a context's first run of a shape and when the engine goes away.
  std::shared_ptr<const EngineCache> cache;

  // The dtype a value of logical dtype `dtype` has on the device: float32 becomes float16 or
  // bfloat16 under reduced precision; every other dtype is kept.
  DType storage_dtype(DType dtype) const {
    if (dtype != DType::Float32) return dtype;
    if (options.precision == Precision::Fp16) return DType::Float16;
    if (options.precision == Precision::Bf16) return DType::BFloat16;
    return dtype;
  }
};

}  // namespace lre
