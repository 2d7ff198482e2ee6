// Weight look-up with the checks a model needs before its first run: a checkpoint that lacks a
// tensor or carries one of another size fails here, by name, not as a crash deep in a gemm.
#include "asr/whisper_weights.h"

#include "lre/error.h"

namespace lre::asr {

const Tensor& require_weight(const WhisperWeights& weights, const std::string& name, const Shape& shape) {
  auto it = weights.find(name);
  if (it == weights.end())
    throw Error(ErrorCode::InvalidModel,
                "Whisper weights: missing tensor " + name + " (expected shape " + shape_to_string(shape) + ")");
  const Tensor& t = it->second;
  if (!t.defined() || !t.device().is_cpu() || t.dtype() != DType::Float32)
    throw Error(ErrorCode::InvalidModel, "Whisper weights: tensor " + name + " must be a float32 host tensor");
  if (t.shape() != shape)
    throw Error(ErrorCode::InvalidModel, "Whisper weights: tensor " + name + " has shape " +
                                             shape_to_string(t.shape()) + ", expected " + shape_to_string(shape));
  return t;
}

Linear load_linear(const WhisperWeights& weights, const std::string& prefix, int64_t out, int64_t in, bool has_bias) {
  Linear l;
  l.weight = require_weight(weights, prefix + ".weight", {out, in});
  if (has_bias) l.bias = require_weight(weights, prefix + ".bias", {out});
  return l;
}

LayerNormWeights load_layer_norm(const WhisperWeights& weights, const std::string& prefix, int64_t d_model) {
  return {require_weight(weights, prefix + ".weight", {d_model}), require_weight(weights, prefix + ".bias", {d_model})};
}

AttentionWeights load_attention(const WhisperWeights& weights, const std::string& prefix, int64_t d_model) {
  return {load_linear(weights, prefix + ".q_proj", d_model, d_model, true),
          load_linear(weights, prefix + ".k_proj", d_model, d_model, false),
          load_linear(weights, prefix + ".v_proj", d_model, d_model, true),
          load_linear(weights, prefix + ".out_proj", d_model, d_model, true)};
}

MlpWeights load_mlp(const WhisperWeights& weights, const std::string& layer_prefix, int64_t d_model, int64_t ffn_dim) {
  return {load_linear(weights, layer_prefix + ".fc1", ffn_dim, d_model, true),
          load_linear(weights, layer_prefix + ".fc2", d_model, ffn_dim, true)};
}

}  // namespace lre::asr
