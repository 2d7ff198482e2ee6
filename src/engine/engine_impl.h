// What a compiled engine holds: the optimised graph, one kernel per node, and the facts about
// values (producer, last reader, graph output) that contexts use to plan memory.
#pragma once

#include <memory>
#include <vector>

#include "graph/graph.h"
#include "lre/engine.h"
#include "ops/kernel.h"

namespace lre {

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
};

}  // namespace lre
