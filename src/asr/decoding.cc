// Whisper's per-window decoding: filters on the logits, language detection and the greedy/sampling
// loop over a batch of sequences that share one window. Beam search lives in beam_search.cc; this
// file owns what every policy shares (initial tokens, prefill, statistics).
#include "asr/decoding.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "asr/beam_search.h"
#include "kernels/cpu/fast_exp.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void mask(std::span<float> logits, int begin, int end) {
  begin = std::max(begin, 0);
  end = std::min<int>(end, static_cast<int>(logits.size()));
  for (int i = begin; i < end; ++i) logits[i] = kNegInf;
}

}  // namespace

void log_softmax(std::span<const float> logits, std::vector<double>& out) {
  // Runs once per sampled token over the whole vocabulary, beside a GPU step of about a
  // millisecond: the exponentials are the vectorising float kind (within 2 ulp), summed in double.
  float max = -std::numeric_limits<float>::infinity();
  for (float v : logits) max = std::max(max, v);
  out.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = cpu::fast_exp(logits[i] - max);
  double sum = 0.0;
  for (double e : out) sum += e;
  const double log_z = static_cast<double>(max) + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - log_z;
}

LogitFilters::LogitFilters(const WhisperTokenizer& tokenizer, const DecodingOptions& options, int vocab_size)
    : eot_(tokenizer.eot()),
      no_timestamps_(tokenizer.no_timestamps()),
      timestamp_begin_(tokenizer.timestamp_begin()),
      vocab_(vocab_size),
      with_timestamps_(!options.without_timestamps && tokenizer.timestamp_begin() >= 0),
      blank_(options.suppress_blank),
      max_initial_index_(options.max_initial_timestamp >= 0
                             ? static_cast<int>(std::lround(options.max_initial_timestamp / 0.02))
                             : -1) {
  blank_tokens_ = tokenizer.encode(" ");
  blank_tokens_.push_back(eot_);
  std::vector<int> ids;
  for (int t : options.suppress_tokens) {
    if (t == -1) {
      auto non_speech = tokenizer.non_speech_tokens();
      ids.insert(ids.end(), non_speech.begin(), non_speech.end());
    } else if (t >= 0) {
      ids.push_back(t);
    } else {
      throw Error(ErrorCode::InvalidArgument, "suppress_tokens: " + std::to_string(t) + " is not a token id or -1");
    }
  }
  // The model must never steer itself into another task, a new transcript or a prompt.
  for (int t : {tokenizer.transcribe(), tokenizer.translate(), tokenizer.sot(), tokenizer.sot_prev(),
                tokenizer.sot_lm(), tokenizer.no_speech()})
    ids.push_back(t);
  for (int t : ids)
    if (t >= 0 && t < vocab_) suppressed_.push_back(t);
  std::sort(suppressed_.begin(), suppressed_.end());
  suppressed_.erase(std::unique(suppressed_.begin(), suppressed_.end()), suppressed_.end());
}

void LogitFilters::suppress_blank(std::span<float> logits, std::span<const int> sampled) const {
  if (!blank_ || !sampled.empty()) return;
  for (int t : blank_tokens_)
    if (t >= 0 && t < static_cast<int>(logits.size())) logits[t] = kNegInf;
}

void LogitFilters::suppress_tokens(std::span<float> logits) const {
  for (int t : suppressed_)
    if (t < static_cast<int>(logits.size())) logits[t] = kNegInf;
}

void LogitFilters::timestamp_rules(std::span<float> logits, std::span<const int> sampled) const {
  if (!with_timestamps_) return;
  const int n = static_cast<int>(logits.size());
  const int ts = timestamp_begin_;
  if (no_timestamps_ >= 0 && no_timestamps_ < n) logits[no_timestamps_] = kNegInf;

  const auto is_ts = [&](int t) { return t >= ts; };
  const size_t len = sampled.size();
  const bool last_ts = len >= 1 && is_ts(sampled[len - 1]);
  const bool penultimate_ts = len < 2 || is_ts(sampled[len - 2]);
  if (last_ts) {
    if (penultimate_ts)
      mask(logits, ts, n);  // a pair just closed (or the window opened): text must follow
    else
      mask(logits, 0, eot_);  // an opening timestamp needs its closing one (or the end)
  }

  int last_timestamp = -1;
  for (size_t i = len; i-- > 0;)
    if (is_ts(sampled[i])) {
      last_timestamp = sampled[i];
      break;
    }
  if (last_timestamp >= 0) {
    // Time never goes back, and a closed segment cannot have zero length (that would loop forever).
    const int bound = (last_ts && !penultimate_ts) ? last_timestamp : last_timestamp + 1;
    mask(logits, ts, bound);
  }

  if (len == 0) {
    mask(logits, 0, ts);  // a window opens with a timestamp
    if (max_initial_index_ >= 0) mask(logits, ts + max_initial_index_ + 1, n);
  }

  // When timestamps together are likelier than any single text token, one is due.
  std::vector<double> logprobs;
  log_softmax(logits, logprobs);
  double ts_max = -std::numeric_limits<double>::infinity();
  for (int i = ts; i < n; ++i) ts_max = std::max(ts_max, logprobs[i]);
  if (!std::isfinite(ts_max)) return;
  double ts_sum = 0.0;
  for (int i = ts; i < n; ++i) ts_sum += std::exp(logprobs[i] - ts_max);
  const double ts_logprob = ts_max + std::log(ts_sum);
  double text_max = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < std::min(ts, n); ++i) text_max = std::max(text_max, logprobs[i]);
  if (ts_logprob > text_max) mask(logits, 0, ts);
}

void LogitFilters::apply(std::span<float> logits, std::span<const int> sampled) const {
  suppress_blank(logits, sampled);
  suppress_tokens(logits);
  timestamp_rules(logits, sampled);
}

double compression_ratio(std::string_view text) {
  if (text.empty()) return 0.0;
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> out(size);
  const auto* in = reinterpret_cast<const Bytef*>(text.data());
  if (compress2(out.data(), &size, in, static_cast<uLong>(text.size()), 9) != Z_OK)
    throw Error(ErrorCode::Internal,
                "compression_ratio: zlib failed to compress " + std::to_string(text.size()) + " bytes");
  return static_cast<double>(text.size()) / static_cast<double>(size);
}

LanguageDetection detect_language(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross) {
  if (!tokenizer.multilingual() || tokenizer.languages().empty())
    throw Error(ErrorCode::InvalidArgument, "language detection needs a multilingual model; this one is English-only");
  KvCache cache = runner.make_kv_cache();
  Tensor logits;
  const int sot = tokenizer.sot();
  runner.decode_tokens(cache, cross, std::span<const int>(&sot, 1), logits);
  const float* row = logits.data<float>();
  const auto& languages = tokenizer.languages();
  double max = -std::numeric_limits<double>::infinity();
  for (const auto& [token, code] : languages) max = std::max<double>(max, row[token]);
  double sum = 0.0;
  for (const auto& [token, code] : languages) sum += std::exp(row[token] - max);
  LanguageDetection result;
  for (const auto& [token, code] : languages) {
    const double p = std::exp(row[token] - max) / sum;
    result.probabilities.emplace_back(code, p);
    if (p > result.probability) {
      result.probability = p;
      result.language = code;
    }
  }
  return result;
}

std::vector<int> initial_tokens(const WhisperTokenizer& tokenizer, const DecodingOptions& options,
                                const std::string& language, int max_target_positions, int* sot_index) {
  const int n_ctx = max_target_positions;
  const int sample_len = options.sample_len > 0 ? options.sample_len : n_ctx / 2;
  std::vector<int> tokens;
  if (!options.prompt.empty() && tokenizer.sot_prev() >= 0) {
    // The newest previous text, leaving half the context to the transcript.
    const size_t keep = std::min(options.prompt.size(), static_cast<size_t>(std::max(n_ctx / 2 - 1, 0)));
    tokens.push_back(tokenizer.sot_prev());
    tokens.insert(tokens.end(), options.prompt.end() - static_cast<std::ptrdiff_t>(keep), options.prompt.end());
  }
  if (sot_index) *sot_index = static_cast<int>(tokens.size());
  const auto sot = tokenizer.sot_sequence(language, options.task, !options.without_timestamps);
  tokens.insert(tokens.end(), sot.begin(), sot.end());
  if (!options.prefix.empty()) {
    // Whisper keeps the newest n_ctx / 2 - sample_len tokens, which at the default sample_len (half
    // the context) is Python's prefix[-0:]: the whole prefix. That case is bounded like the prompt,
    // and always so that one position is left to sample into.
    const int room = n_ctx / 2 - sample_len;
    const int fits = std::max(n_ctx - static_cast<int>(tokens.size()) - 1, 0);
    const int bound = std::min(room > 0 ? room : n_ctx / 2 - 1, fits);
    const size_t keep = std::min(options.prefix.size(), static_cast<size_t>(bound));
    tokens.insert(tokens.end(), options.prefix.end() - static_cast<std::ptrdiff_t>(keep), options.prefix.end());
  }
  return tokens;
}

namespace {

struct Sample {
  KvCache cache;
  std::vector<int> sampled;
  double sum_logprob = 0.0;
  bool done = false;
};

// Picks the next token of a filtered row: argmax at temperature 0, else a draw from the softmax.
int pick(std::span<const float> logits, float temperature, std::mt19937_64& rng) {
  if (temperature <= 0.0f) return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  double max = -std::numeric_limits<double>::infinity();
  for (float v : logits) max = std::max<double>(max, v);
  std::vector<double> weights(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) weights[i] = std::exp((logits[i] - max) / temperature);
  std::discrete_distribution<int> draw(weights.begin(), weights.end());
  return draw(rng);
}

}  // namespace

double ranking_score(double sum_logprob, size_t length, double length_penalty) {
  const double penalty = length_penalty < 0 ? static_cast<double>(length)
                                            : std::pow((5.0 + static_cast<double>(length)) / 6.0, length_penalty);
  return sum_logprob / std::max(penalty, 1e-9);
}

DecodingResult decode_window(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross, const DecodingOptions& options) {
  const WhisperConfig& config = runner.config();
  if (options.beam_size < 1 || options.best_of < 1)
    throw Error(ErrorCode::InvalidArgument, "beam_size and best_of must be at least 1");
  if (!(options.patience > 0.0) || !std::isfinite(options.patience))
    throw Error(ErrorCode::InvalidArgument,
                "patience must be a finite number above 0, got " + std::to_string(options.patience));
  if (options.temperature < 0.0f)
    throw Error(ErrorCode::InvalidArgument, "temperature must be >= 0, got " + std::to_string(options.temperature));

  DecodingResult result;
  result.temperature = options.temperature;
  std::string language = options.language;
  if (tokenizer.multilingual()) {
    if (language.empty()) {
      auto detected = detect_language(runner, tokenizer, cross);
      language = detected.language;
      result.language_probability = detected.probability;
    } else {
      language = tokenizer.language_code(tokenizer.language_token(language));
    }
  } else {
    language = "en";
  }
  result.language = language;

  int sot_index = 0;
  const std::vector<int> initial = initial_tokens(tokenizer, options, language, config.max_target_positions, &sot_index);
  const int sample_len = options.sample_len > 0 ? options.sample_len : config.max_target_positions / 2;
  const LogitFilters filters(tokenizer, options, config.vocab_size);

  // One prefill gives both the first-step logits and the no-speech probability at the SOT position.
  KvCache first = runner.make_kv_cache();
  Tensor all_logits;
  runner.decode_tokens(first, cross, initial, all_logits, /*all=*/true);
  const int vocab = config.vocab_size;
  {
    std::vector<double> lp;
    log_softmax(std::span<const float>(all_logits.data<float>() + static_cast<size_t>(sot_index) * vocab, vocab), lp);
    const int no_speech = tokenizer.no_speech();
    result.no_speech_prob = no_speech >= 0 && no_speech < vocab ? std::exp(lp[no_speech]) : 0.0;
  }
  const std::vector<float> first_row(all_logits.data<float>() + (initial.size() - 1) * static_cast<size_t>(vocab),
                                     all_logits.data<float>() + initial.size() * static_cast<size_t>(vocab));

  std::vector<int> best_tokens;
  double best_sum = 0.0;
  if (options.beam_size > 1 && options.temperature == 0.0f) {
    BeamResult beam = beam_search(runner, cross, filters, first, first_row, options.beam_size, options.patience,
                                  sample_len, tokenizer.eot(), options.length_penalty);
    best_tokens = std::move(beam.tokens);
    best_sum = beam.sum_logprob;
  } else {
    const int n = options.temperature > 0.0f ? options.best_of : 1;
    std::mt19937_64 rng(options.seed);
    std::vector<Sample> seqs;
    for (int i = 0; i < n; ++i) {
      seqs.push_back(Sample{runner.make_kv_cache(), {}});
      runner.copy_cache(seqs.back().cache, first);
    }

    std::vector<float> row;
    std::vector<double> lp;
    Tensor logits;
    std::vector<DecodeInput> batch;
    std::vector<Sample*> active;
    for (int step = 0; step < sample_len; ++step) {
      active.clear();
      for (auto& s : seqs)
        if (!s.done) active.push_back(&s);
      if (active.empty()) break;
      if (step > 0) {
        batch.clear();
        for (Sample* s : active) batch.push_back({s->sampled.back(), &s->cache, &cross});
        runner.decode_step(batch, logits);
      }
      for (size_t i = 0; i < active.size(); ++i) {
        Sample& s = *active[i];
        const float* src = step == 0 ? first_row.data() : logits.data<float>() + i * static_cast<size_t>(vocab);
        row.assign(src, src + vocab);
        filters.apply(row, s.sampled);
        log_softmax(row, lp);
        const int token = pick(row, options.temperature, rng);
        s.sum_logprob += lp[token];
        if (token == tokenizer.eot()) {
          s.done = true;
        } else {
          s.sampled.push_back(token);
          // The decoder has no position left for another token.
          if (s.cache.length() >= s.cache.capacity()) s.done = true;
        }
      }
    }
    // Sequences cut at sample_len count as they are, as Whisper does.
    const Sample* best = nullptr;
    double best_score = 0.0;
    for (const auto& s : seqs) {
      const double score = ranking_score(s.sum_logprob, s.sampled.size(), options.length_penalty);
      if (!best || score > best_score) {
        best = &s;
        best_score = score;
      }
    }
    best_tokens = best->sampled;
    best_sum = best->sum_logprob;
  }

  result.tokens = std::move(best_tokens);
  result.sum_logprob = best_sum;
  result.avg_logprob = best_sum / static_cast<double>(result.tokens.size() + 1);
  result.text = tokenizer.decode(result.tokens);
  result.compression_ratio = compression_ratio(result.text);
  return result;
}

}  // namespace lre::asr
