// Beam search over one Whisper window: beam_size hypotheses go through decode_step together, each
// step keeping the most probable continuations and forking their KV caches, until beam_size
// hypotheses have ended. Called by decode_window, which owns the prefill and the statistics.
#pragma once

#include <span>
#include <vector>

#include "asr/cpu_context.h"
#include "asr/decoding.h"
#include "asr/kv_cache.h"
#include "asr/whisper_model.h"

namespace lre::asr {

struct BeamResult {
  std::vector<int> tokens;  // without end of text
  double sum_logprob = 0.0;
};

// `prefilled` holds the initial tokens; `first_logits` (vocab) is the prediction after them.
BeamResult beam_search(const WhisperModel& model, CpuContext& ctx, const CrossKV& cross, const LogitFilters& filters,
                       const KvCache& prefilled, std::span<const float> first_logits, int beam_size, int sample_len,
                       int eot, double length_penalty);

}  // namespace lre::asr
