// The Whisper model's weights under Hugging Face's names (model.encoder.layers.0.fc1.weight, ...):
// the name -> float32 host tensor map the checkpoint loader produces, and the typed views the
// encoder and decoder keep once every tensor they use is found with the right shape.
#pragma once

#include <string>
#include <unordered_map>

#include "lre/tensor.h"

namespace lre::asr {

using WhisperWeights = std::unordered_map<std::string, Tensor>;

// The tensor `name`, checked to be float32, on the host and exactly `shape`; otherwise an
// InvalidModel error naming the tensor and the shape expected.
const Tensor& require_weight(const WhisperWeights& weights, const std::string& name, const Shape& shape);

// A Hugging Face Linear, y = x W^T + b. The views share the map's storage, so they stay valid
// after the map itself is gone.
struct Linear {
  Tensor weight;  // (out, in)
  Tensor bias;    // (out); undefined for the attention k_proj, which has none

  int64_t out() const { return weight.dim(0); }
  int64_t in() const { return weight.dim(1); }
};

struct LayerNormWeights {
  Tensor weight;  // (d_model)
  Tensor bias;    // (d_model)
};

struct AttentionWeights {
  Linear q, k, v, out;  // each (d_model, d_model)
};

struct MlpWeights {
  Linear fc1;  // (ffn_dim, d_model)
  Linear fc2;  // (d_model, ffn_dim)
};

// `prefix` is the module path without the trailing dot, e.g. "model.decoder.layers.3.encoder_attn".
Linear load_linear(const WhisperWeights& weights, const std::string& prefix, int64_t out, int64_t in, bool has_bias);
LayerNormWeights load_layer_norm(const WhisperWeights& weights, const std::string& prefix, int64_t d_model);
AttentionWeights load_attention(const WhisperWeights& weights, const std::string& prefix, int64_t d_model);
MlpWeights load_mlp(const WhisperWeights& weights, const std::string& layer_prefix, int64_t d_model, int64_t ffn_dim);

}  // namespace lre::asr
