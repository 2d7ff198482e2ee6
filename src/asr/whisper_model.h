// A Whisper model on the CPU: configuration, weights, encoder and decoder behind the two batched
// primitives every decoding policy and the scheduler build on, encode and decode_step. The model
// never changes after construction, so threads share it, each with its own CpuContext.
#pragma once

#include <span>

#include "asr/cpu_context.h"
#include "asr/decoder.h"
#include "asr/encoder.h"
#include "asr/kv_cache.h"
#include "asr/whisper_config.h"
#include "asr/whisper_weights.h"
#include "lre/tensor.h"

namespace lre::asr {

class WhisperModel {
 public:
  // Takes Hugging Face's tensor names (model.encoder.*, model.decoder.*, optional proj_out.weight)
  // as float32 host tensors; the model keeps handles to them, not copies. Throws InvalidModel
  // naming the first tensor missing or misshapen.
  WhisperModel(WhisperConfig config, const WhisperWeights& weights);

  const WhisperConfig& config() const { return config_; }

  // mels (n, num_mel_bins, 2 * max_source_positions) -> encoder states (n, max_source_positions,
  // d_model). With `cross` (n slots, or empty), window i's cross-attention K/V go to *cross[i] too.
  Tensor encode(CpuContext& ctx, const Tensor& mels, std::span<CrossKV* const> cross = {}) const;
  // Cross-attention K/V of each window of states (n, frames, d_model) into its slot (n of them).
  void compute_cross_kv(CpuContext& ctx, const Tensor& states, std::span<CrossKV* const> cross) const;

  // Runs `batch` through the decoder: logits (rows, vocab_size), rows as `which` selects, storage
  // reused when it already has that shape. Sequences may differ in length and window. Entries of
  // one sequence must be consecutive: several of them feed that sequence's next tokens in one call
  // (a new request's prompt beside other sequences' steps). See Decoder::forward for the checks.
  void decode(CpuContext& ctx, std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) const;

  // Storage shaped for this model.
  KvCache make_kv_cache() const { return KvCache(config_); }

 private:
  WhisperConfig config_;
  Encoder encoder_;
  Decoder decoder_;
};

}  // namespace lre::asr
