// The Whisper decoder on the CPU over a batch of independent sequences, each with its own token,
// self-attention KV cache (whose length is the token's position) and cross-attention K/V. Each
// projection, the MLP and the logits are one matrix product over all rows; attention is per sequence.
#pragma once

#include <span>
#include <vector>

#include "asr/cpu_context.h"
#include "asr/decode_plan.h"
#include "asr/kv_cache.h"
#include "asr/whisper_config.h"
#include "asr/whisper_weights.h"
#include "lre/tensor.h"

namespace lre::asr {

class Decoder {
 public:
  // Checks every model.decoder.* tensor (and proj_out.weight when present, which is used for the
  // logits as Hugging Face does): InvalidModel names the first one missing or misshapen.
  Decoder(const WhisperConfig& config, const WhisperWeights& weights);

  // Projects one window's encoder states (frames, d_model) into every layer's cross-attention K/V,
  // resizing `out` only when its shape differs.
  void compute_cross_kv(CpuContext& ctx, const float* states, int64_t frames, CrossKV& out) const;

  // Runs `batch` through the decoder and sets logits to (rows, vocab_size), reusing its storage
  // when it already has that shape. Entries that share a cache must be consecutive: they are that
  // sequence's next tokens, in order (a prompt prefilled in the same call as other sequences' steps),
  // and must read the same CrossKV. Everything is checked before any cache changes: a bad token,
  // a position at max_target_positions, a missing or misshapen cache or CrossKV throws
  // InvalidArgument and leaves every cache as it was.
  void forward(CpuContext& ctx, std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) const;

 private:
  struct Layer {
    LayerNormWeights self_norm;
    AttentionWeights self_attn;
    LayerNormWeights cross_norm;
    AttentionWeights cross_attn;  // k and v are applied once per window, in compute_cross_kv
    LayerNormWeights mlp_norm;
    MlpWeights mlp;
  };

  void self_attention(CpuContext& ctx, const Layer& layer, int index, std::span<const DecodeInput> batch,
                      const int* positions, float* x) const;
  void cross_attention(CpuContext& ctx, const Layer& layer, int index, std::span<const DecodeInput> batch,
                       int64_t max_cross_frames, float* x) const;
  void mlp(CpuContext& ctx, const Layer& layer, int64_t rows, float* x) const;

  int64_t d_model_, heads_, head_dim_, ffn_dim_, vocab_, max_positions_;
  int layer_count_;
  float eps_, embed_scale_;
  Tensor embed_tokens_;  // (vocab_size, d_model)
  Tensor positions_;     // (max_target_positions, d_model)
  Linear output_proj_;   // (vocab_size, d_model), no bias: proj_out.weight, else the tied embed_tokens
  std::vector<Layer> layers_;
  LayerNormWeights final_norm_;
};

}  // namespace lre::asr
