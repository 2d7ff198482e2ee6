// The Whisper encoder on the CPU: two convolutions with GELU over the log-mel frames (the second
// halves the frame rate), learned positions, pre-LN transformer blocks and a final layer norm.
// Every window of a batch goes through each gemm together.
#pragma once

#include <vector>

#include "asr/cpu_context.h"
#include "asr/whisper_config.h"
#include "asr/whisper_weights.h"
#include "lre/tensor.h"

namespace lre::asr {

class Encoder {
 public:
  // Checks every model.encoder.* tensor: InvalidModel names the first one missing or misshapen.
  Encoder(const WhisperConfig& config, const WhisperWeights& weights);

  // mels (n, num_mel_bins, 2 * max_source_positions) -> states (n, max_source_positions, d_model).
  // Any other input shape or type is an InvalidArgument.
  Tensor forward(CpuContext& ctx, const Tensor& mels) const;

 private:
  struct Layer {
    LayerNormWeights attn_norm;
    AttentionWeights attn;
    LayerNormWeights mlp_norm;
    MlpWeights mlp;
  };

  void check_input(const Tensor& mels) const;
  void run_layer(CpuContext& ctx, const Layer& layer, float* x, int64_t windows) const;

  int64_t mels_, frames_, d_model_, heads_, head_dim_, ffn_dim_;  // frames_: after the stride-2 conv
  float eps_;
  Tensor conv1_weight_;  // (d_model, num_mel_bins, 3)
  Tensor conv1_bias_;    // (d_model)
  Tensor conv2_weight_;  // (d_model, d_model, 3)
  Tensor conv2_bias_;    // (d_model)
  Tensor positions_;     // (max_source_positions, d_model)
  std::vector<Layer> layers_;
  LayerNormWeights final_norm_;
};

}  // namespace lre::asr
