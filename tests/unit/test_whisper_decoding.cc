// Whisper decoding on a tiny random checkpoint: each logit filter on hand-made logits, greedy
// decoding against an argmax chain recomputed from scratch at every step, and long-form
// transcription's structure (windows, seeks, segment times, silence skipping, bad input).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>

#include "asr/checkpoint.h"
#include "asr/decoding.h"
#include "asr/tokenizer.h"
#include "asr/transcribe.h"
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
    const std::string cmd = "/usr/bin/python3 " LRE_SOURCE_DIR "/scripts/make_tiny_whisper.py " + t.dir.string() +
                            " > /dev/null";
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

CrossKV encode_window(CpuContext& ctx, std::span<const float> audio) {
  const WhisperModel& model = *tiny().model;
  const audio::LogMel mel(model.config().num_mel_bins);
  Tensor m = mel.compute(audio, kWindowSamples).reshaped(Shape{1, model.config().num_mel_bins, kWindowFrames});
  CrossKV cross;
  CrossKV* slots[1] = {&cross};
  model.encode(ctx, m, slots);
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
  const WhisperModel& model = *tiny().model;
  CpuContext ctx(2);
  const auto audio = noise(6.0, 7);
  const CrossKV cross = encode_window(ctx, audio);

  DecodingOptions options;
  options.language = "en";
  options.without_timestamps = true;
  options.sample_len = 24;
  const DecodingResult result = decode_window(model, tok(), ctx, cross, options);

  std::vector<int> seq = tok().sot_sequence("en", WhisperTask::Transcribe, false);
  const size_t begin = seq.size();
  std::vector<int> suppressed = tok().non_speech_tokens();
  for (int t : {tok().transcribe(), tok().translate(), tok().sot(), tok().sot_prev(), tok().sot_lm(), tok().no_speech()})
    suppressed.push_back(t);
  std::vector<int> expected;
  double sum = 0.0;
  for (int step = 0; step < options.sample_len; ++step) {
    KvCache cache = model.make_kv_cache();
    Tensor logits;
    model.decode_tokens(ctx, cache, cross, seq, logits);
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
  const WhisperModel& model = *tiny().model;
  CpuContext ctx(2);
  const CrossKV cross = encode_window(ctx, noise(4.0, 3));
  const LanguageDetection detected = detect_language(model, tok(), ctx, cross);
  double total = 0.0;
  for (const auto& [code, p] : detected.probabilities) total += p;
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_EQ(detected.probabilities.size(), tok().languages().size());

  DecodingOptions options;  // language detected, timestamps on
  options.sample_len = 16;
  const DecodingResult greedy = decode_window(model, tok(), ctx, cross, options);
  EXPECT_EQ(greedy.language, detected.language);
  EXPECT_NEAR(greedy.language_probability, detected.probability, 1e-9);
  if (!greedy.tokens.empty()) {
    EXPECT_TRUE(tok().is_timestamp(greedy.tokens[0]));
  }

  options.temperature = 0.7f;
  options.best_of = 3;
  options.seed = 11;
  const DecodingResult a = decode_window(model, tok(), ctx, cross, options);
  const DecodingResult b = decode_window(model, tok(), ctx, cross, options);
  EXPECT_EQ(a.tokens, b.tokens);  // seeded
  EXPECT_FLOAT_EQ(a.temperature, 0.7f);

  options.temperature = 0.0f;
  options.beam_size = 3;
  const DecodingResult beam = decode_window(model, tok(), ctx, cross, options);
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

TEST(Transcribe, LongAudioSeeksThroughEveryWindow) {
  const Tiny& t = tiny();
  CpuContext ctx(2);
  const auto audio = noise(70.0, 5);
  TranscribeOptions options;
  options.decoding.language = "en";
  std::vector<double> progress;
  std::vector<int> streamed;
  options.progress = [&](double f) { progress.push_back(f); };
  options.on_segment = [&](const Segment& s) { streamed.push_back(s.id); };
  const Transcription result = transcribe(*t.model, *t.tokenizer, ctx, audio, options);

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
  CpuContext ctx(2);
  const std::vector<float> silence(40 * kSampleRate, 0.0f);
  TranscribeOptions options;
  options.decoding.language = "en";
  options.temperatures = {0.0f};
  // Every window counts as silent: any no-speech probability and no log-probability passes.
  options.no_speech_threshold = 1e-30;
  options.logprob_threshold = 0.0;
  int windows = 0;
  options.progress = [&](double) { ++windows; };
  const Transcription result = transcribe(*t.model, *t.tokenizer, ctx, silence, options);
  EXPECT_TRUE(result.segments.empty());
  EXPECT_EQ(windows, 2);  // 30 s, then the last 10 s
  EXPECT_TRUE(result.text.empty());
}

TEST(Transcribe, BadInputs) {
  const Tiny& t = tiny();
  CpuContext ctx(1);
  try {
    transcribe(*t.model, *t.tokenizer, ctx, std::span<const float>{});
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
  EXPECT_THROW(transcribe(*t.model, *t.tokenizer, ctx, noise(1.0, 1), options), Error);
  options.decoding.language = "en";
  options.temperatures.clear();
  EXPECT_THROW(transcribe(*t.model, *t.tokenizer, ctx, noise(1.0, 1), options), Error);
}

}  // namespace
}  // namespace lre::asr
