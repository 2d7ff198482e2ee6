// Beam search over one Whisper window: beam_size hypotheses go through decode_step together, each
// step keeping the most probable continuations and forking their KV caches, until
// round(beam_size * patience) hypotheses have ended. Called by decode_window, which owns the
// prefill and the statistics.
#pragma once

#include <span>
#include <vector>

#include "asr/decoding.h"
#include "asr/kv_cache.h"
#include "asr/whisper_runner.h"

namespace lre::asr {

struct BeamResult {
  std::vector<int> tokens;  // without end of text
  double sum_logprob = 0.0;
};

// How many finished hypotheses beam search collects before it stops: round(beam_size * patience),
// rounding halves to even as OpenAI Whisper's Python round() does. Throws InvalidArgument when
// patience is not finite or the product rounds to less than 1 (patience <= 0 included).
int beam_max_candidates(int beam_size, double patience);

// `prefilled` holds the initial tokens; `first_logits` (vocab) is the prediction after them.
// patience: see beam_max_candidates (1: stop at beam_size finished hypotheses).
BeamResult beam_search(WhisperRunner& runner, const CrossKV& cross, const LogitFilters& filters,
                       const KvCache& prefilled, std::span<const float> first_logits, int beam_size, double patience,
                       int sample_len, int eot, double length_penalty);

}  // namespace lre::asr
