// Folds an inference BatchNormalization into the Conv that feeds it: with s = scale / sqrt(var + eps)
// per output channel, conv(x, w, b) followed by BN equals conv(x, w * s, (b - mean) * s + bias).
// One pass over the weights at load saves a full read and write of every BN activation per run.
#include <cmath>
#include <vector>

#include "core/dispatch.h"
#include "graph/passes.h"

namespace lre {

namespace {

bool is_const_float(const Graph& g, int id, int64_t numel) {
  return id != kNoValue && g.values[id].is_constant && g.values[id].constant.dtype() == DType::Float32 &&
         (numel < 0 || g.values[id].constant.numel() == numel);
}

// The node can fold only if it is an inference BN with constant float32 per-channel parameters.
bool foldable_batchnorm(const Graph& g, const Node& bn, int64_t channels) {
  if (bn.op_type != "BatchNormalization" || bn.inputs.size() != 5) return false;
  for (size_t i = 1; i < bn.outputs.size(); ++i)
    if (bn.outputs[i] != kNoValue) return false;  // training outputs requested
  if (bn.attrs.get_int("training_mode", 0) != 0 || bn.attrs.get_int("spatial", 1) == 0) return false;
  for (size_t i = 1; i < 5; ++i)
    if (!is_const_float(g, bn.inputs[i], channels)) return false;
  return true;
}

}  // namespace

void fuse_conv_batchnorm(Graph& g) {
  std::vector<int> readers(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in != kNoValue) readers[in]++;
  for (int out : g.outputs) readers[out]++;
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) producer[o] = static_cast<int>(i);

  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& bn = g.nodes[i];
    if (bn.op_type != "BatchNormalization" || bn.inputs.empty() || bn.inputs[0] == kNoValue) continue;
    int x = bn.inputs[0];
    if (producer[x] < 0 || readers[x] != 1) continue;
    Node& conv = g.nodes[producer[x]];
    if (conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.inputs.size() < 2) continue;
    int w_id = conv.inputs[1];
    if (!is_const_float(g, w_id, -1) || g.values[w_id].constant.rank() < 3) continue;
    const Tensor& w = g.values[w_id].constant;
    const int64_t channels = w.dim(0);
    int b_id = conv.inputs.size() > 2 ? conv.inputs[2] : kNoValue;
    if (b_id != kNoValue && !is_const_float(g, b_id, channels)) continue;
    if (!foldable_batchnorm(g, bn, channels)) continue;

    const float eps = bn.attrs.get_float("epsilon", 1e-5f);
    const float* scale = g.values[bn.inputs[1]].constant.data<float>();
    const float* shift = g.values[bn.inputs[2]].constant.data<float>();
    const float* mean = g.values[bn.inputs[3]].constant.data<float>();
    const float* var = g.values[bn.inputs[4]].constant.data<float>();
    Tensor new_w(DType::Float32, w.shape());
    Tensor new_b(DType::Float32, {channels});
    const int64_t per_channel = w.numel() / channels;
    for (int64_t c = 0; c < channels; ++c) {
      double s = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
      for (int64_t k = 0; k < per_channel; ++k)
        new_w.data<float>()[c * per_channel + k] = static_cast<float>(w.data<float>()[c * per_channel + k] * s);
      double b = b_id == kNoValue ? 0.0 : g.values[b_id].constant.data<float>()[c];
      new_b.data<float>()[c] = static_cast<float>((b - mean[c]) * s + shift[c]);
    }
    // New constants rather than edits in place: the originals may feed other nodes.
    int nw = g.add_value(g.values[w_id].name + "/folded_" + bn.name);
    int nb = g.add_value(bn.name + "/folded_bias");
    g.values[nw].is_constant = g.values[nb].is_constant = true;
    g.values[nw].constant = std::move(new_w);
    g.values[nb].constant = std::move(new_b);
    conv.inputs.resize(3);
    conv.inputs[1] = nw;
    conv.inputs[2] = nb;
    conv.outputs[0] = bn.outputs[0];
    producer[bn.outputs[0]] = producer[x];
    removed[i] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

}  // namespace lre
