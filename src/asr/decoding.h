// Whisper's decoding of one 30-second window: the logit filters (suppressions and timestamp rules),
// language detection, greedy and sampled decoding and beam search, with the per-window statistics
// (average log-probability, no-speech probability, compression ratio) that temperature fallback reads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asr/kv_cache.h"
#include "asr/tokenizer.h"
#include "asr/whisper_runner.h"

namespace lre::asr {

struct DecodingOptions {
  WhisperTask task = WhisperTask::Transcribe;
  std::string language;         // empty: detected from the window
  float temperature = 0.0f;     // 0: argmax; above 0: sampling from softmax(logits / temperature)
  int beam_size = 1;            // 1: greedy (or sampling); above 1: beam search at temperature 0
  double patience = 1.0;        // > 0: beam search ends once round(beam_size * patience) hypotheses ended
  int best_of = 1;              // sequences sampled at temperature > 0; the most probable is kept
  bool without_timestamps = false;
  // -1 stands for the non-speech symbols; the task, start and no-speech tokens are always added.
  std::vector<int> suppress_tokens = {-1};
  bool suppress_blank = true;         // no blank and no end of text as the first sampled token
  double max_initial_timestamp = 1.0;  // seconds; negative: unbounded
  int sample_len = 0;                  // tokens sampled at most; 0: max_target_positions / 2
  std::vector<int> prompt;  // previous text, fed after <|startofprev|> (truncated to the newest tokens)
  std::vector<int> prefix;  // forced first tokens of the transcript, after the SOT sequence
  uint64_t seed = 0;        // of sampling at temperature > 0
  double length_penalty = -1.0;  // ranking of finished sequences: negative: by sum / length
};

struct DecodingResult {
  std::vector<int> tokens;  // sampled after the initial tokens (prompt, SOT sequence, prefix), without end of text
  std::string text;
  std::string language;     // code, "en"
  double language_probability = 1.0;  // of the detected language; 1 when given
  double avg_logprob = 0.0;
  double sum_logprob = 0.0;
  double no_speech_prob = 0.0;
  double compression_ratio = 0.0;
  float temperature = 0.0f;
};

struct LanguageDetection {
  std::string language;  // code of the most probable language
  double probability = 0.0;
  std::vector<std::pair<std::string, double>> probabilities;  // every language, in vocabulary order
};

// The sampled-token-dependent constraints on one sequence's next-token logits, as Whisper applies
// them in order: suppress blank, suppress tokens, timestamp rules. `sampled` holds what this
// sequence has produced after its initial tokens (a forced prefix is part of those, not of these).
class LogitFilters {
 public:
  LogitFilters(const WhisperTokenizer& tokenizer, const DecodingOptions& options, int vocab_size);

  void apply(std::span<float> logits, std::span<const int> sampled) const;

  // Each rule alone, for tests and other policies.
  void suppress_blank(std::span<float> logits, std::span<const int> sampled) const;
  void suppress_tokens(std::span<float> logits) const;
  void timestamp_rules(std::span<float> logits, std::span<const int> sampled) const;

  const std::vector<int>& suppressed() const { return suppressed_; }
  int max_initial_timestamp_index() const { return max_initial_index_; }

 private:
  int eot_, no_timestamps_, timestamp_begin_, vocab_;
  bool with_timestamps_, blank_;
  int max_initial_index_;          // -1: unbounded
  std::vector<int> blank_tokens_;  // " " and end of text
  std::vector<int> suppressed_;    // sorted, in range
};

// sum_logprob / length, or / ((5 + length) / 6) ^ length_penalty when length_penalty >= 0.
double ranking_score(double sum_logprob, size_t length, double length_penalty);

// The numerically stable log-softmax of one row of logits (-inf entries give -inf).
void log_softmax(std::span<const float> logits, std::vector<double>& out);

// Whisper's compression ratio: UTF-8 bytes over zlib-compressed bytes (level 9). Repetition loops,
// a failure mode of decoding, compress well and score above 2.4.
double compression_ratio(std::string_view text);

// One decoder step after <|startoftranscript|> over the language tokens.
LanguageDetection detect_language(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross);

// The tokens the decoder starts from: [<|startofprev|>, prompt...] + SOT sequence + prefix.
// sot_index is where <|startoftranscript|> ends up.
std::vector<int> initial_tokens(const WhisperTokenizer& tokenizer, const DecodingOptions& options,
                                const std::string& language, int max_target_positions, int* sot_index);

// Decodes the window whose cross-attention K/V are `cross`. Detects the language first when
// options.language is empty. Several sequences (best_of samples or beam hypotheses) go through
// decode_step together.
DecodingResult decode_window(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross, const DecodingOptions& options);

}  // namespace lre::asr
