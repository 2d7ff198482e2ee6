// WhisperEngine and the runner interface on the CPU: loading a checkpoint folder gives the same
// transcript as the model built by hand, runners keep their engine alive, precisions and devices
// the build cannot run are refused, and caches of another dtype or device are named, not read.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "asr/checkpoint.h"
#include "asr/cpu_runner.h"
#include "asr/transcribe.h"
#include "asr/whisper_engine.h"
#include "asr/whisper_model.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

std::string tiny_dir() {
  const char* models = std::getenv("LRE_TEST_MODELS");
  EXPECT_TRUE(models) << "LRE_TEST_MODELS is set by ctest (fixture generate_whisper_checkpoints)";
  return std::string(models ? models : ".") + "/whisper/tiny";
}

std::vector<float> noise(double seconds, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.1f);
  std::vector<float> out(static_cast<size_t>(seconds * kSampleRate));
  for (float& v : out) v = n(rng);
  return out;
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::Internal;
}

TEST(WhisperEngine, TranscribesAsTheModelBuiltByHand) {
  const std::string dir = tiny_dir();
  const auto engine = WhisperEngine::load(dir);
  EXPECT_EQ(engine->config().d_model, WhisperCheckpoint::load(dir).config().d_model);
  const auto runner = engine->make_runner({.threads = 2});

  const auto checkpoint = WhisperCheckpoint::load(dir);
  const WhisperModel model(checkpoint.config(), checkpoint.float32_weights());
  CpuWhisperRunner by_hand(model, 2);

  TranscribeOptions options;
  options.decoding.language = "en";
  options.temperatures = {0.0f};
  const auto audio = noise(12.0, 3);
  const Transcription a = transcribe(*runner, engine->tokenizer(), audio, options);
  const Transcription b = transcribe(by_hand, engine->tokenizer(), audio, options);
  ASSERT_EQ(a.segments.size(), b.segments.size());
  ASSERT_FALSE(a.segments.empty());
  for (size_t i = 0; i < a.segments.size(); ++i) {
    EXPECT_EQ(a.segments[i].tokens, b.segments[i].tokens);
    EXPECT_EQ(a.segments[i].avg_logprob, b.segments[i].avg_logprob);
  }
}

TEST(WhisperEngine, RunnerKeepsItsEngineAlive) {
  auto engine = WhisperEngine::load(tiny_dir());
  const int vocab = engine->config().vocab_size;
  auto runner = engine->make_runner({.threads = 1});
  engine.reset();
  const auto audio = noise(2.0, 1);
  TranscribeOptions options;
  options.decoding.language = "en";
  options.temperatures = {0.0f};
  const auto again = WhisperEngine::load(tiny_dir());
  const Transcription t = transcribe(*runner, again->tokenizer(), audio, options);
  EXPECT_GE(t.info.duration, 2.0 - 1e-9);
  EXPECT_EQ(runner->config().vocab_size, vocab);
}

TEST(WhisperEngine, RefusesWhatTheBuildCannotRun) {
  EXPECT_EQ(code_of([] { WhisperEngine::load(tiny_dir(), {Device::cpu(), Precision::Fp16}); }),
            ErrorCode::Unsupported);
  EXPECT_EQ(code_of([] { WhisperEngine::load(tiny_dir(), {Device::cpu(), Precision::Bf16}); }),
            ErrorCode::Unsupported);
  EXPECT_EQ(code_of([] { WhisperEngine::load(tiny_dir() + "-missing"); }), ErrorCode::Io);
#if !LRE_WITH_CUDA
  EXPECT_EQ(code_of([] { WhisperEngine::load(tiny_dir(), {Device::cuda(0), Precision::Fp16}); }),
            ErrorCode::Unsupported);
#endif
}

TEST(WhisperEngine, CachesOfAnotherDtypeAreNamedNotRead) {
  const auto engine = WhisperEngine::load(tiny_dir());
  const WhisperConfig& c = engine->config();
  const auto runner = engine->make_runner({.threads = 1});
  Tensor mels(DType::Float32, {1, c.num_mel_bins, 2 * c.max_source_positions});
  for (int64_t i = 0; i < mels.numel(); ++i) mels.data<float>()[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
  CrossKV cross;
  CrossKV* slots[1] = {&cross};
  runner->encode(mels, slots);

  KvCache half(c.decoder_layers, c.max_target_positions, c.d_model,
               Tensor(DType::Float16, {c.decoder_layers, 2, c.max_target_positions, c.d_model}));
  Tensor logits;
  const int sot = c.decoder_start_token_id;
  try {
    runner->decode_tokens(half, cross, std::span<const int>(&sot, 1), logits);
    FAIL() << "a float16 cache was accepted by the float32 CPU model";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("make_kv_cache"), std::string::npos) << e.what();
  }
  EXPECT_EQ(half.length(), 0);

  // A cache of the right kind works, and a fork copies exactly the rows in use.
  KvCache cache = runner->make_kv_cache(), fork = runner->make_kv_cache();
  const std::vector<int> prompt = {sot, sot + 1, sot + 2};
  runner->decode_tokens(cache, cross, prompt, logits);
  runner->copy_cache(fork, cache, 2);
  EXPECT_EQ(fork.length(), 2);
  for (int l = 0; l < c.decoder_layers; ++l)
    for (int64_t i = 0; i < 2 * c.d_model; ++i) EXPECT_EQ(fork.keys(l)[i], cache.keys(l)[i]);
  EXPECT_EQ(code_of([&] { runner->copy_cache(fork, cache, 4); }), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace lre::asr
