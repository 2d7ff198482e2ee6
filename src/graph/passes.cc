// Constant folding and dead-node removal.
#include "graph/passes.h"

#include <set>

#include "lre/error.h"
#include "ops/kernel.h"

namespace lre {

namespace {
const std::set<std::string> kNondeterministic = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                                 "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"};
}

void fold_constants(Graph& g, const std::string& model_name) {
  ThreadPool pool(1);
  for (Node& n : g.nodes) {
    if (kNondeterministic.count(n.op_type)) continue;
    bool all_const = true;
    for (int in : n.inputs)
      if (in != kNoValue && !g.values[in].is_constant) all_const = false;
    if (!all_const) continue;
    bool has_output = false;
    for (int out : n.outputs) has_output |= out != kNoValue;
    if (!has_output) continue;
    const KernelFactory* factory = find_kernel(n.domain, n.op_type, Device::Kind::Cpu);
    if (!factory) continue;
    try {
      std::unique_ptr<Kernel> kernel = (*factory)(KernelInit{n, n.opset});
      std::vector<const Tensor*> inputs;
      for (int in : n.inputs) inputs.push_back(in == kNoValue ? nullptr : &g.values[in].constant);
      std::vector<TensorDesc> descs = kernel->infer(inputs);
      std::vector<Tensor> results;
      std::vector<Tensor*> outputs;
      results.reserve(n.outputs.size());
      for (size_t i = 0; i < n.outputs.size(); ++i) {
        if (n.outputs[i] == kNoValue || i >= descs.size()) {
          outputs.push_back(nullptr);
          continue;
        }
        results.emplace_back(descs[i].dtype, descs[i].shape);
        outputs.push_back(&results.back());
      }
      KernelContext ctx{inputs, outputs, pool};
      kernel->compute(ctx);
      for (size_t i = 0; i < n.outputs.size(); ++i) {
        if (!outputs[i]) continue;
        Value& v = g.values[n.outputs[i]];
        v.is_constant = true;
        v.constant = std::move(*outputs[i]);
      }
    } catch (const Error& e) {
      throw Error(e.code(), model_name + ": " + n.label() + ": " + e.what());
    }
  }
}

void remove_dead_nodes(Graph& g) {
  std::vector<bool> live(g.values.size(), false);
  for (int o : g.outputs) live[o] = true;
  std::vector<bool> keep(g.nodes.size(), false);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    bool needed = false, all_const = true;
    for (int o : n.outputs) {
      if (o == kNoValue) continue;
      needed |= live[o];
      all_const &= g.values[o].is_constant;
    }
    if (!needed || all_const) continue;
    keep[i] = true;
    for (int in : n.inputs)
      if (in != kNoValue) live[in] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (keep[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

}  // namespace lre
