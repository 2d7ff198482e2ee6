// What every decoding policy runs a Whisper model through: one thread's handle on a model loaded
// for one device. The two batched primitives (encode windows into cross-attention K/V slots; one
// decoder step over a batch of independent sequences) plus the KV-cache storage they use. The CPU
// model and the CUDA model each implement it; decoding, beam search, long-form transcription and
// the scheduler are written once against it.
#pragma once

#include <span>

#include "asr/decode_plan.h"
#include "asr/kv_cache.h"
#include "asr/whisper_config.h"
#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::asr {

class WhisperRunner {
 public:
  virtual ~WhisperRunner() = default;

  virtual const WhisperConfig& config() const = 0;
  // Host threads for CPU-side work beside the model (log-mel); may be null.
  virtual ThreadPool* pool() = 0;

  // mels: host float32 (n, num_mel_bins, 2 * max_source_positions). Window i's cross-attention
  // K/V go to *cross[i] (n slots), stored as this runner's model needs them.
  virtual void encode(const Tensor& mels, std::span<CrossKV* const> cross) = 0;

  // Runs `batch` (see Decoder::forward for its rules and checks) and sets logits to host float32
  // (rows, vocab_size), reusing its storage when it already has that shape.
  virtual void decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) = 0;

  // An empty cache of this model's shape, dtype and device. Caches belong to the runner that made
  // them and must not outlive it.
  virtual KvCache make_kv_cache() = 0;
  // dst becomes src's first `length` positions (-1: all), as beam search forks a hypothesis.
  virtual void copy_cache(KvCache& dst, const KvCache& src, int length = -1) = 0;

  // One token for each entry of `batch`; logits (batch.size(), vocab_size).
  void decode_step(std::span<const DecodeInput> batch, Tensor& logits) { decode(batch, LogitRows::Every, logits); }
  // Feeds `tokens` to one sequence at once (the start-of-transcript sequence and any prompt);
  // logits (1, vocab_size) for the last token, or (tokens.size(), vocab_size) with `all`.
  void decode_tokens(KvCache& cache, const CrossKV& cross, std::span<const int> tokens, Tensor& logits,
                     bool all = false);
};

}  // namespace lre::asr
