// A decoder call's batch: one token of each of several independent sequences, each with its own
// self-attention KV cache and cross-attention K/V; and the checks every model (CPU or CUDA) makes
// of such a batch before it changes any cache.
#pragma once

#include <cstdint>
#include <span>

#include "asr/kv_cache.h"
#include "lre/dtype.h"
#include "lre/tensor.h"

namespace lre::asr {

// One token of one sequence in a decoder call.
struct DecodeInput {
  int token = 0;
  KvCache* cache = nullptr;        // goes at position cache->length(); its keys and values are appended
  const CrossKV* cross = nullptr;  // the audio window this sequence reads
};

// Which rows get logits: every entry of the batch, or only the last entry of each sequence (a
// prefill needs the prediction after its last token only).
enum class LogitRows { Every, LastOfEachSequence };

// What the model's caches must look like.
struct DecodeLimits {
  int layers, d_model, vocab, max_positions;
  DType dtype;    // of cache and cross-attention storage
  Device device;  // where that storage lives
};

// Checks the batch (tokens in the vocabulary, caches and cross K/V of the model's shape, dtype and
// device, positions below max_positions, entries of one sequence consecutive and reading one
// window) and throws InvalidArgument naming the first bad entry. Fills positions (batch.size():
// where each entry's token goes) and logit_entries (the entries that get logits), and returns the
// number of logit rows; max_cross_frames is the longest window read.
int64_t plan_decode(std::span<const DecodeInput> batch, LogitRows which, const DecodeLimits& limits, int* positions,
                    int* logit_entries, int64_t& max_cross_frames);

}  // namespace lre::asr
