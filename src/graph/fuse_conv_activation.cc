// Folds Relu, and a residual Add before it, into the Conv that feeds them: Conv -> Relu and
// Conv -> Add(shortcut) -> Relu become one Conv node with attribute activation="Relu" and the
// shortcut as a fourth input, which the GPU runs as one cuDNN call (conv, bias, add, activation)
// instead of three passes over the activation. The fused node takes the Relu's place in the
// order, since the shortcut may be computed after the Conv.
#include <vector>

#include "graph/passes.h"

namespace lre {

namespace {

bool is_plain_conv(const Node& n) {
  return n.op_type == "Conv" && n.domain.empty() && n.outputs.size() == 1 && n.inputs.size() >= 2 && n.inputs.size() <= 3 &&
         !n.attrs.has("activation");
}

}  // namespace

void fuse_conv_activation(Graph& g) {
  std::vector<int> readers(g.values.size(), 0), producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int in : g.nodes[i].inputs)
      if (in != kNoValue) readers[in]++;
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) producer[o] = static_cast<int>(i);
  }
  for (int out : g.outputs) readers[out]++;
  // A value another node could still need stays: read once, by the node being fused.
  auto single_use_from = [&](int value, const char* op) -> int {
    if (value == kNoValue || readers[value] != 1 || producer[value] < 0) return -1;
    const Node& p = g.nodes[producer[value]];
    return p.op_type == op && p.domain.empty() ? producer[value] : -1;
  };

  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& relu = g.nodes[i];
    if (relu.op_type != "Relu" || !relu.domain.empty() || relu.inputs.size() != 1 || relu.outputs.size() != 1) continue;
    int conv_at = single_use_from(relu.inputs[0], "Conv");
    int shortcut = kNoValue;
    int add_at = -1;
    if (conv_at < 0) {
      add_at = single_use_from(relu.inputs[0], "Add");
      if (add_at < 0 || g.nodes[add_at].inputs.size() != 2) continue;
      const Node& add = g.nodes[add_at];
      for (int side = 0; side < 2 && conv_at < 0; ++side) {
        const int c = single_use_from(add.inputs[side], "Conv");
        const int other = add.inputs[1 - side];
        // A constant addend would broadcast (a bias); only a full-size activation fuses.
        if (c >= 0 && other != add.inputs[side] && !g.values[other].is_constant) {
          conv_at = c;
          shortcut = other;
        }
      }
    }
    if (conv_at < 0 || removed[conv_at] || !is_plain_conv(g.nodes[conv_at])) continue;
    Node fused = g.nodes[conv_at];
    Attribute activation;
    activation.kind = Attribute::Kind::String;
    activation.s = "Relu";
    fused.attrs.set("activation", activation);
    if (shortcut != kNoValue) {
      fused.inputs.resize(4, kNoValue);
      fused.inputs[3] = shortcut;
    }
    fused.outputs[0] = relu.outputs[0];
    fused.name = g.nodes[conv_at].name + "+relu";
    removed[conv_at] = true;
    if (add_at >= 0) removed[add_at] = true;
    relu = std::move(fused);
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

}  // namespace lre
