// Whisper decoding on a tiny random checkpoint: each logit filter on hand-made logits, greedy
// decoding against an argmax chain recomputed from scratch at every step, and long-form
// transcription's structure (windows, seeks, segment times, silence skipping, bad input); beam
// search's patience on a scripted model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>

#include "asr/beam_search.h"
#include "asr/checkpoint.h"
#include "asr/decoding.h"
#include "asr/tokenizer.h"
#include "asr/transcribe.h"
#include "asr/cpu_runner.h"
#include "asr/whisper_model.h"
#include "audio/audio_file.h"
#include "audio/log_mel.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

namespace fs = std::filesystem;

struct Tiny {
  fs::path dir;
  std::unique_ptr<WhisperCheckpoint> checkpoint;
  std::unique_ptr<WhisperModel> model;
  std::unique_ptr<WhisperTokenizer> tokenizer;
};

// Generated once per test binary run by the project's own script, in a private temporary folder.
Tiny& tiny() {
  static Tiny t = [] {
    Tiny t;
    t.dir = fs::temp_directory_path() / ("lre_whisper_decoding_" + std::to_string(getpid()));
    fs::remove_all(t.dir);
    const char* python = std::getenv("LRE_TEST_PYTHON");  // a Python with numpy, where not Debian's
    const std::string cmd = std::string(python ? python : "/usr/bin/python3") +
                            " " LRE_SOURCE_DIR "/scripts/make_tiny_whisper.py " + t.dir.string() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    static const fs::path generated = t.dir;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(generated, ec);
    });
    t.checkpoint = std::make_unique<WhisperCheckpoint>(WhisperCheckpoint::load(t.dir.string()));
    t.model = std::make_unique<WhisperModel>(t.checkpoint->config(), t.checkpoint->float32_weights());
    t.tokenizer = std::make_unique<WhisperTokenizer>(WhisperTokenizer::load(t.dir.string()));
    return t;
  }();
  return t;
}

std::vector<float> noise(double seconds, unsigned seed, float scale = 0.1f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, scale);
  std::vector<float> out(static_cast<size_t>(seconds * kSampleRate));
  for (float& v : out) v = std::clamp(n(rng), -1.0f, 1.0f);
  return out;
}

CrossKV encode_window(WhisperRunner& runner, std::span<const float> audio) {
  const WhisperConfig& config = runner.config();
  const audio::LogMel mel(config.num_mel_bins);
  Tensor m = mel.compute(audio, kWindowSamples).reshaped(Shape{1, config.num_mel_bins, kWindowFrames});
  CrossKV cross;
  CrossKV* slots[1] = {&cross};
  runner.encode(m, slots);
  return cross;
}

class WhisperDecoding : public ::testing::Test {
 protected:
  const WhisperTokenizer& tok() { return *tiny().tokenizer; }
  int vocab() { return tiny().model->config().vocab_size; }
  std::vector<float> zeros() { return std::vector<float>(static_cast<size_t>(vocab()), 0.0f); }
  static bool masked(float v) { return std::isinf(v) && v < 0; }
};

TEST_F(WhisperDecoding, SuppressBlankOnlyAtFirstSampledPosition) {
  DecodingOptions options;
  LogitFilters filters(tok(), options, vocab());
  const auto blank = tok().encode(" ");
  ASSERT_FALSE(blank.empty());
  auto logits = zeros();
  filters.suppress_blank(logits, {});
  EXPECT_TRUE(masked(logits[blank[0]]));
  EXPECT_TRUE(masked(logits[tok().eot()]));
  EXPECT_FALSE(masked(logits[100]));
  logits = zeros();
  const std::vector<int> sampled = {100};
  filters.suppress_blank(logits, sampled);
  EXPECT_FALSE(masked(logits[blank[0]]));
  EXPECT_FALSE(masked(logits[tok().eot()]));

  options.suppress_blank = false;
  LogitFilters off(tok(), options, vocab());
  logits = zeros();
  off.suppress_blank(logits, {});
  EXPECT_FALSE(masked(logits[blank[0]]));
}

TEST_F(WhisperDecoding, SuppressTokensDefaultAndExplicit) {
  DecodingOptions options;
  LogitFilters filters(tok(), options, vocab());
  auto logits = zeros();
  filters.suppress_tokens(logits);
  for (int t : tok().non_speech_tokens()) EXPECT_TRUE(masked(logits[t])) << t;
  for (int t : {tok().sot(), tok().transcribe(), tok().translate(), tok().sot_prev(), tok().no_speech()})
    EXPECT_TRUE(masked(logits[t])) << t;
  EXPECT_FALSE(masked(logits[tok().eot()]));
  EXPECT_FALSE(masked(logits[tok().timestamp_begin()]));

  options.suppress_tokens = {5, 7};
  LogitFilters explicit_list(tok(), options, vocab());
  logits = zeros();
  explicit_list.suppress_tokens(logits);
  EXPECT_TRUE(masked(logits[5]));
  EXPECT_TRUE(masked(logits[7]));
  EXPECT_FALSE(masked(logits[6]));
  EXPECT_TRUE(masked(logits[tok().sot()]));

  options.suppress_tokens = {-2};
  EXPECT_THROW(LogitFilters(tok(), options, vocab()), Error);
}

TEST_F(WhisperDecoding, TimestampsComeInPairs) {
  LogitFilters filters(tok(), {}, vocab());
  const int ts = tok().timestamp_begin();
  // An opening timestamp then text then a closing one: next is another timestamp (>= it) or the end.
  std::vector<int> sampled = {ts + 10, 100, ts + 20};
  auto logits = zeros();
  logits[tok().eot()] = 10.0f;  // likelier than all timestamps together, so none is forced
  filters.timestamp_rules(logits, sampled);
  EXPECT_TRUE(masked(logits[100]));
  EXPECT_FALSE(masked(logits[tok().eot()]));
  EXPECT_TRUE(masked(logits[ts + 19]));
  EXPECT_FALSE(masked(logits[ts + 20]));
  EXPECT_FALSE(masked(logits[ts + 30]));
  // A closed pair: text (or the end) must follow, no third timestamp.
  sampled = {ts + 10, 100, ts + 20, ts + 20};
  logits = zeros();
  filters.timestamp_rules(logits, sampled);
  EXPECT_FALSE(masked(logits[100]));
  EXPECT_FALSE(masked(logits[tok().eot()]));
  for (int t = ts; t < vocab(); t += 97) EXPECT_TRUE(masked(logits[t])) << t;
  EXPECT_TRUE(masked(logits[tok().no_timestamps()]));
}

TEST_F(WhisperDecoding, TimestampsNeverDecrease) {
  LogitFilters filters(tok(), {}, vocab());
  const int ts = tok().timestamp_begin();
  const std::vector<int> sampled = {ts + 10, 100, 200};
  auto logits = zeros();
  logits[100] = 20.0f;  // keeps the probability-sum rule from forcing a timestamp
  filters.timestamp_rules(logits, sampled);
  for (int t = ts; t <= ts + 10; ++t) EXPECT_TRUE(masked(logits[t])) << t;  // a segment has nonzero length
  EXPECT_FALSE(masked(logits[ts + 11]));
  EXPECT_FALSE(masked(logits[100]));
}

TEST_F(WhisperDecoding, FirstTokenIsATimestampWithinMaxInitial) {
  DecodingOptions options;
  options.max_initial_timestamp = 1.0;
  LogitFilters filters(tok(), options, vocab());
  EXPECT_EQ(filters.max_initial_timestamp_index(), 50);
  const int ts = tok().timestamp_begin();
  auto logits = zeros();
  logits[100] = 50.0f;
  filters.timestamp_rules(logits, {});
  EXPECT_TRUE(masked(logits[100]));
  EXPECT_TRUE(masked(logits[tok().eot()]));
  EXPECT_FALSE(masked(logits[ts]));
  EXPECT_FALSE(masked(logits[ts + 50]));
  EXPECT_TRUE(masked(logits[ts + 51]));

  options.without_timestamps = true;
  LogitFilters off(tok(), options, vocab());
  logits = zeros();
  off.timestamp_rules(logits, {});
  EXPECT_FALSE(masked(logits[100]));
}

TEST_F(WhisperDecoding, SummedTimestampProbabilityForcesATimestamp) {
  LogitFilters filters(tok(), {}, vocab());
  const int ts = tok().timestamp_begin();
  const std::vector<int> sampled = {ts + 1, 100};
  // 1499 allowed timestamps at logit 0 outweigh one text token at 5 (e^5 ~ 148), not one at 10.
  auto logits = zeros();
  logits[100] = 5.0f;
  filters.timestamp_rules(logits, sampled);
  EXPECT_TRUE(masked(logits[100]));
  EXPECT_FALSE(masked(logits[ts + 5]));
  logits = zeros();
  logits[100] = 10.0f;
  filters.timestamp_rules(logits, sampled);
  EXPECT_FALSE(masked(logits[100]));
}

TEST_F(WhisperDecoding, CompressionRatioFlagsRepetition) {
  std::string repetitive;
  for (int i = 0; i < 40; ++i) repetitive += "thank you. ";
  const std::string varied = "The quick brown fox jumps over the lazy dog while seven wizards quietly hex jumbled boxes.";
  EXPECT_GT(compression_ratio(repetitive), 2.4);
  EXPECT_LT(compression_ratio(varied), 2.4);
  EXPECT_EQ(compression_ratio(""), 0.0);
}

// Greedy decoding equals an argmax chain where every step re-feeds the whole sequence to a fresh
// cache (no incremental KV path) and applies the suppressions written out here.
TEST_F(WhisperDecoding, GreedyEqualsIndependentArgmaxChain) {
  CpuWhisperRunner runner(*tiny().model, 2);
  const auto audio = noise(6.0, 7);
  const CrossKV cross = encode_window(runner, audio);

  DecodingOptions options;
  options.language = "en";
  options.without_timestamps = true;
  options.sample_len = 24;
  const DecodingResult result = decode_window(runner, tok(), cross, options);

  std::vector<int> seq = tok().sot_sequence("en", WhisperTask::Transcribe, false);
  const size_t begin = seq.size();
  std::vector<int> suppressed = tok().non_speech_tokens();
  for (int t : {tok().transcribe(), tok().translate(), tok().sot(), tok().sot_prev(), tok().sot_lm(), tok().no_speech()})
    suppressed.push_back(t);
  std::vector<int> expected;
  double sum = 0.0;
  for (int step = 0; step < options.sample_len; ++step) {
    KvCache cache = runner.make_kv_cache();
    Tensor logits;
    runner.decode_tokens(cache, cross, seq, logits);
    std::vector<float> row(logits.data<float>(), logits.data<float>() + vocab());
    if (seq.size() == begin) {
      for (int t : tok().encode(" ")) row[t] = -INFINITY;
      row[tok().eot()] = -INFINITY;
    }
    for (int t : suppressed) row[t] = -INFINITY;
    const int best = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
    double z = 0.0;
    for (float v : row) z += std::exp(static_cast<double>(v) - row[best]);
    sum += -std::log(z);
    if (best == tok().eot()) break;
    expected.push_back(best);
    seq.push_back(best);
  }
  EXPECT_EQ(result.tokens, expected);
  EXPECT_NEAR(result.sum_logprob, sum, 1e-3 * std::max(1.0, std::abs(sum)));
  EXPECT_NEAR(result.avg_logprob, sum / static_cast<double>(expected.size() + 1), 1e-3);
  EXPECT_EQ(result.language, "en");
  EXPECT_GE(result.no_speech_prob, 0.0);
  EXPECT_LE(result.no_speech_prob, 1.0);
  EXPECT_EQ(result.text, tok().decode(result.tokens));
}

TEST_F(WhisperDecoding, LanguageDetectionSamplingAndBeamSearch) {
  CpuWhisperRunner runner(*tiny().model, 2);
  const CrossKV cross = encode_window(runner, noise(4.0, 3));
  const LanguageDetection detected = detect_language(runner, tok(), cross);
  double total = 0.0;
  for (const auto& [code, p] : detected.probabilities) total += p;
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_EQ(detected.probabilities.size(), tok().languages().size());

  DecodingOptions options;  // language detected, timestamps on
  options.sample_len = 16;
  const DecodingResult greedy = decode_window(runner, tok(), cross, options);
  EXPECT_EQ(greedy.language, detected.language);
  EXPECT_NEAR(greedy.language_probability, detected.probability, 1e-9);
  if (!greedy.tokens.empty()) {
    EXPECT_TRUE(tok().is_timestamp(greedy.tokens[0]));
  }

  options.temperature = 0.7f;
  options.best_of = 3;
  options.seed = 11;
  const DecodingResult a = decode_window(runner, tok(), cross, options);
  const DecodingResult b = decode_window(runner, tok(), cross, options);
  EXPECT_EQ(a.tokens, b.tokens);  // seeded
  EXPECT_FLOAT_EQ(a.temperature, 0.7f);

  options.temperature = 0.0f;
  options.beam_size = 3;
  const DecodingResult beam = decode_window(runner, tok(), cross, options);
  EXPECT_LE(beam.tokens.size(), 16u);
  if (!beam.tokens.empty()) {
    EXPECT_TRUE(tok().is_timestamp(beam.tokens[0]));
  }
  for (size_t i = 1; i < beam.tokens.size(); ++i) {
    if (tok().is_timestamp(beam.tokens[i]) && tok().is_timestamp(beam.tokens[i - 1])) {
      EXPECT_GE(beam.tokens[i], beam.tokens[i - 1]);
    }
  }
}

// A WhisperRunner whose next-token distribution is a hand-written function of the tokens a
// sequence has been fed, which each sequence's KV cache records (one float per position), so that
// beam search can be steered into a chosen path. Token 4 opens every sequence; 5 ends it.
class ScriptedRunner final : public WhisperRunner {
 public:
  static constexpr int kA = 0, kB = 1, kC = 2, kD = 3, kStart = 4, kEot = 5, kVocab = 6;

  // log P(next | sampled): A or B first; after A almost surely the end, else D forever; after B
  // almost surely the end, else C five times and then the end.
  static std::vector<float> logits_after(const std::vector<int>& sampled) {
    constexpr double kTiny = 1e-6;
    std::vector<double> p(kVocab, kTiny);
    const auto count = [&](int t) { return std::count(sampled.begin(), sampled.end(), t); };
    if (sampled.empty()) {
      p[kA] = 0.6, p[kB] = 0.4;
    } else if (sampled == std::vector<int>{kA}) {
      p[kEot] = 0.9, p[kD] = 0.1;
    } else if (sampled == std::vector<int>{kB}) {
      p[kEot] = 0.9, p[kC] = 0.1;
    } else if (sampled[0] == kA && count(kD) == static_cast<long>(sampled.size()) - 1) {
      p[kD] = 1.0;
    } else if (sampled[0] == kB && count(kC) == static_cast<long>(sampled.size()) - 1) {
      p[count(kC) < 5 ? kC : kEot] = 1.0;
    } else {
      std::fill(p.begin(), p.end(), 1.0 / kVocab);
    }
    std::vector<float> out;
    for (double v : p) out.push_back(static_cast<float>(std::log(v)));
    return out;
  }

  ScriptedRunner() { config_.vocab_size = kVocab; }
  const WhisperConfig& config() const override { return config_; }
  ThreadPool* pool() override { return nullptr; }
  void encode(const Tensor&, std::span<CrossKV* const>) override {}
  void decode(std::span<const DecodeInput> batch, LogitRows, Tensor& logits) override {
    ++decode_calls;
    logits = Tensor(DType::Float32, Shape{static_cast<int64_t>(batch.size()), kVocab});
    for (size_t i = 0; i < batch.size(); ++i) {
      KvCache& cache = *batch[i].cache;
      cache.keys(0)[cache.length()] = static_cast<float>(batch[i].token);
      cache.set_length(cache.length() + 1);
      const std::vector<float> row = logits_after(sampled(cache));
      std::copy(row.begin(), row.end(), logits.data<float>() + i * kVocab);
    }
  }
  KvCache make_kv_cache() override { return KvCache(1, 32, 1); }
  void copy_cache(KvCache& dst, const KvCache& src, int length = -1) override { dst.copy_from(src, length); }

  // The tokens fed after the opening one.
  static std::vector<int> sampled(const KvCache& cache) {
    std::vector<int> out;
    for (int i = 1; i < cache.length(); ++i) out.push_back(static_cast<int>(cache.keys(0)[i]));
    return out;
  }

  int decode_calls = 0;

 private:
  WhisperConfig config_;
};

BeamResult scripted_beam_search(ScriptedRunner& runner, double patience) {
  DecodingOptions options;
  options.without_timestamps = true;
  options.suppress_blank = false;
  options.suppress_tokens.clear();  // the tokenizer's special tokens lie outside this vocabulary
  const LogitFilters filters(*tiny().tokenizer, options, ScriptedRunner::kVocab);
  KvCache prefilled = runner.make_kv_cache();
  prefilled.keys(0)[0] = ScriptedRunner::kStart;
  prefilled.set_length(1);
  const CrossKV cross;
  const std::vector<float> first = ScriptedRunner::logits_after({});
  return beam_search(runner, cross, filters, prefilled, first, /*beam_size=*/2, patience, /*sample_len=*/12,
                     ScriptedRunner::kEot, /*length_penalty=*/-1.0);
}

// Beam 2 finishes [A] (log 0.54, score -0.62 per token) and [B] in the second step. At patience 1
// that is enough; at patience 2 the search goes on to finish [B C C C C C] (log 0.04 over six
// tokens, score -0.54), which outranks [A].
TEST(WhisperBeamSearch, PatienceCollectsMoreFinishedHypotheses) {
  using R = ScriptedRunner;
  R impatient;
  const BeamResult short_search = scripted_beam_search(impatient, 1.0);
  EXPECT_EQ(short_search.tokens, std::vector<int>{R::kA});
  EXPECT_NEAR(short_search.sum_logprob, std::log(0.54), 1e-4);
  EXPECT_EQ(impatient.decode_calls, 1);  // the step after the first token, then two have ended

  R patient;
  const BeamResult long_search = scripted_beam_search(patient, 2.0);
  EXPECT_EQ(long_search.tokens, (std::vector<int>{R::kB, R::kC, R::kC, R::kC, R::kC, R::kC}));
  EXPECT_NEAR(long_search.sum_logprob, std::log(0.04), 1e-4);
  EXPECT_GT(patient.decode_calls, 5);

  // 2 * 0.75 rounds to 2: the same search as patience 1.
  R rounded;
  EXPECT_EQ(scripted_beam_search(rounded, 0.75).tokens, std::vector<int>{R::kA});
  EXPECT_EQ(rounded.decode_calls, 1);
}

TEST(WhisperBeamSearch, MaxCandidatesRoundLikePython) {
  EXPECT_EQ(beam_max_candidates(5, 1.0), 5);
  EXPECT_EQ(beam_max_candidates(5, 2.0), 10);
  EXPECT_EQ(beam_max_candidates(5, 0.5), 2);  // round(2.5) == 2 in Python
  EXPECT_EQ(beam_max_candidates(3, 0.5), 2);  // round(1.5) == 2
  for (double bad : {0.0, -1.0, 0.2, std::nan(""), std::numeric_limits<double>::infinity()}) {
    try {
      beam_max_candidates(2, bad);
      FAIL() << "patience " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << bad;
    }
  }
}

TEST_F(WhisperDecoding, InitialTokensKeepThePrefix) {
  const int n_ctx = tiny().model->config().max_target_positions;  // 448
  DecodingOptions options;
  options.prompt = {100, 101};
  options.prefix = tok().encode(" hello world");
  int sot_index = -1;
  std::vector<int> expected = {tok().sot_prev(), 100, 101};
  const auto sot = tok().sot_sequence("en", WhisperTask::Transcribe, true);
  expected.insert(expected.end(), sot.begin(), sot.end());
  expected.insert(expected.end(), options.prefix.begin(), options.prefix.end());
  // The default sample_len (half the context) keeps the whole prefix, as Whisper's prefix[-0:] does.
  EXPECT_EQ(initial_tokens(tok(), options, "en", n_ctx, &sot_index), expected);
  EXPECT_EQ(sot_index, 3);
  // A shorter sample_len leaves room for that many newest prefix tokens.
  options.sample_len = n_ctx / 2 - 1;
  const std::vector<int> kept = initial_tokens(tok(), options, "en", n_ctx, nullptr);
  ASSERT_EQ(kept.size(), 3 + sot.size() + 1);
  EXPECT_EQ(kept.back(), options.prefix.back());
  // Long prefixes are cut to their newest half context, like prompts.
  options.sample_len = 0;
  options.prefix.assign(600, 100);
  options.prefix.back() = 101;
  const std::vector<int> cut = initial_tokens(tok(), options, "en", n_ctx, nullptr);
  EXPECT_EQ(cut.size(), 3 + sot.size() + n_ctx / 2 - 1);
  EXPECT_EQ(cut.back(), 101);
  // With the longest prompt too, one position is still left to sample into.
  options.prompt.assign(600, 102);
  EXPECT_EQ(initial_tokens(tok(), options, "en", n_ctx, nullptr).size(), static_cast<size_t>(n_ctx - 1));
}

TEST_F(WhisperDecoding, PatienceIsValidatedWhateverThePolicy) {
  CpuWhisperRunner runner(*tiny().model, 1);
  const CrossKV cross = encode_window(runner, noise(1.0, 2));
  DecodingOptions options;
  options.language = "en";
  options.sample_len = 4;
  for (int beam : {1, 3}) {
    options.beam_size = beam;
    for (double bad : {0.0, -0.5, std::nan("")}) {
      options.patience = bad;
      try {
        decode_window(runner, tok(), cross, options);
        FAIL() << "beam " << beam << " patience " << bad << " accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("patience"), std::string::npos) << e.what();
      }
    }
  }
  options.patience = 2.0;
  EXPECT_LE(decode_window(runner, tok(), cross, options).tokens.size(), 4u);
}

TEST(Transcribe, LongAudioSeeksThroughEveryWindow) {
  const Tiny& t = tiny();
  CpuWhisperRunner runner(*tiny().model, 2);
  const auto audio = noise(70.0, 5);
  TranscribeOptions options;
  options.decoding.language = "en";
  std::vector<double> progress;
  std::vector<int> streamed;
  options.progress = [&](double f) { progress.push_back(f); };
  options.on_segment = [&](const Segment& s) { streamed.push_back(s.id); };
  const Transcription result = transcribe(runner, *t.tokenizer, audio, options);

  EXPECT_NEAR(result.info.duration, 70.0, 1e-6);
  EXPECT_EQ(result.info.language, "en");
  ASSERT_GE(progress.size(), 3u);  // at least three windows for 70 s
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i], progress[i - 1]);
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  ASSERT_EQ(streamed.size(), result.segments.size());
  double last_start = 0.0;
  int last_seek = -1;
  for (size_t i = 0; i < result.segments.size(); ++i) {
    const Segment& s = result.segments[i];
    EXPECT_EQ(s.id, static_cast<int>(i));
    EXPECT_EQ(streamed[i], s.id);
    EXPECT_LT(s.start, s.end);
    EXPECT_GE(s.start, 0.0);
    EXPECT_LE(s.end, 70.0 + 1e-6);
    EXPECT_GE(s.start, last_start);
    EXPECT_GE(s.seek, last_seek);
    EXPECT_GE(s.start, s.seek * 0.01 - 1e-9);  // inside its window
    EXPECT_LE(s.end, s.seek * 0.01 + 30.0 + 1e-9);
    last_start = s.start;
    last_seek = s.seek;
    EXPECT_FALSE(s.tokens.empty());
  }
}

TEST(Transcribe, SilentWindowsAreSkipped) {
  const Tiny& t = tiny();
  CpuWhisperRunner runner(*tiny().model, 2);
  const std::vector<float> silence(40 * kSampleRate, 0.0f);
  TranscribeOptions options;
  options.decoding.language = "en";
  options.temperatures = {0.0f};
  // Every window counts as silent: any no-speech probability and no log-probability passes.
  options.no_speech_threshold = 1e-30;
  options.logprob_threshold = 0.0;
  int windows = 0;
  options.progress = [&](double) { ++windows; };
  const Transcription result = transcribe(runner, *t.tokenizer, silence, options);
  EXPECT_TRUE(result.segments.empty());
  EXPECT_EQ(windows, 2);  // 30 s, then the last 10 s
  EXPECT_TRUE(result.text.empty());
}

// Passes everything to a CPU runner and records, window by window, the token sequences that go to
// the decoder at once (the initial tokens of each decoding attempt).
class PrefillRecorder final : public WhisperRunner {
 public:
  explicit PrefillRecorder(WhisperRunner& inner) : inner_(inner) {}
  const WhisperConfig& config() const override { return inner_.config(); }
  ThreadPool* pool() override { return inner_.pool(); }
  void encode(const Tensor& mels, std::span<CrossKV* const> cross) override {
    windows.emplace_back();
    inner_.encode(mels, cross);
  }
  void decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) override {
    const bool one_sequence =
        std::all_of(batch.begin(), batch.end(), [&](const DecodeInput& d) { return d.cache == batch[0].cache; });
    if (batch.size() > 1 && one_sequence) {
      std::vector<int> tokens;
      for (const DecodeInput& d : batch) tokens.push_back(d.token);
      windows.back().push_back(tokens);
    }
    inner_.decode(batch, which, logits);
  }
  KvCache make_kv_cache() override { return inner_.make_kv_cache(); }
  void copy_cache(KvCache& dst, const KvCache& src, int length = -1) override { inner_.copy_cache(dst, src, length); }

  std::vector<std::vector<std::vector<int>>> windows;  // per window, per attempt: the tokens prefilled

 private:
  WhisperRunner& inner_;
};

TEST(Transcribe, PrefixForcesTheFirstWindowOnly) {
  const Tiny& t = tiny();
  CpuWhisperRunner cpu(*t.model, 2);
  PrefillRecorder runner(cpu);
  TranscribeOptions options;
  options.decoding.language = "en";
  options.decoding.sample_len = 12;
  options.decoding.prefix = t.tokenizer->encode(" hello world");
  transcribe(runner, *t.tokenizer, noise(65.0, 9), options);

  std::vector<int> sot = t.tokenizer->sot_sequence("en", WhisperTask::Transcribe, true);
  std::vector<int> with_prefix = sot;
  with_prefix.insert(with_prefix.end(), options.decoding.prefix.begin(), options.decoding.prefix.end());
  const auto ends_with = [](const std::vector<int>& v, const std::vector<int>& tail) {
    return v.size() >= tail.size() &&
           std::equal(tail.begin(), tail.end(), v.end() - static_cast<std::ptrdiff_t>(tail.size()));
  };
  ASSERT_GE(runner.windows.size(), 3u);  // 65 s
  for (size_t w = 0; w < runner.windows.size(); ++w) {
    ASSERT_FALSE(runner.windows[w].empty()) << "window " << w;
    for (const auto& prefill : runner.windows[w])
      EXPECT_TRUE(ends_with(prefill, w == 0 ? with_prefix : sot)) << "window " << w;
  }
}

// Each window after the first is prompted with the text before it, unless told not to; an initial
// prompt goes to the first window either way.
TEST(Transcribe, ConditionOnPreviousText) {
  const Tiny& t = tiny();
  CpuWhisperRunner cpu(*t.model, 2);
  const std::vector<int> sot = t.tokenizer->sot_sequence("en", WhisperTask::Transcribe, true);
  for (bool condition : {true, false}) {
    PrefillRecorder runner(cpu);
    TranscribeOptions options;
    options.decoding.language = "en";
    options.decoding.sample_len = 12;
    options.temperatures = {0.0f};  // no fallback above 0.5, which would drop the prompt anyway
    options.initial_prompt = "hello";
    options.condition_on_previous_text = condition;
    transcribe(runner, *t.tokenizer, noise(65.0, 9), options);
    ASSERT_GE(runner.windows.size(), 3u);
    for (size_t w = 0; w < runner.windows.size(); ++w) {
      ASSERT_EQ(runner.windows[w].size(), 1u);
      const std::vector<int>& prefill = runner.windows[w][0];
      const bool prompted = w == 0 || condition;
      EXPECT_EQ(prefill[0] == t.tokenizer->sot_prev(), prompted) << "window " << w << ", condition " << condition;
      if (!prompted) {
        EXPECT_EQ(prefill, sot) << "window " << w;
      }
    }
  }
}

TEST(Transcribe, BadInputs) {
  const Tiny& t = tiny();
  CpuWhisperRunner runner(*tiny().model, 1);
  try {
    transcribe(runner, *t.tokenizer, std::span<const float>{});
    FAIL() << "empty audio accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
  if (audio::can_decode_audio_files()) {
    try {
      audio::load_audio((t.dir / "missing.wav").string());
      FAIL() << "missing file accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Io);
    }
  }
  TranscribeOptions options;
  options.decoding.language = "not-a-language";
  EXPECT_THROW(transcribe(runner, *t.tokenizer, noise(1.0, 1), options), Error);
  options.decoding.language = "en";
  options.temperatures.clear();
  EXPECT_THROW(transcribe(runner, *t.tokenizer, noise(1.0, 1), options), Error);
}

}  // namespace
}  // namespace lre::asr
