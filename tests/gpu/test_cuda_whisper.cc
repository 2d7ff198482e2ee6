// The CUDA Whisper runner against its CPU twin on the tiny random checkpoint: cross-attention K/V
// after encode, logits of a prefill and of batched steps over sequences of different lengths and
// windows (fp32 tight, fp16/bf16 by their rounding), graph replays equal to eager steps, device
// cache forks, and the whole transcript.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "asr/cuda/cuda_whisper_runner.h"
#include "asr/transcribe.h"
#include "asr/whisper_engine.h"
#include "core/half.h"
#include "gpu_test_util.h"

namespace lre::test {
namespace {

using namespace lre::asr;

std::string tiny_dir() {
  const char* models = std::getenv("LRE_TEST_MODELS");
  EXPECT_TRUE(models) << "LRE_TEST_MODELS must name the test models folder";
  return std::string(models ? models : ".") + "/whisper/tiny";
}

Tensor random_mels(const WhisperConfig& c, int64_t n, unsigned seed) {
  Tensor m(DType::Float32, {n, c.num_mel_bins, 2 * c.max_source_positions});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int64_t i = 0; i < m.numel(); ++i) m.data<float>()[i] = u(rng);
  return m;
}

std::vector<double> as_doubles(const Tensor& t) {
  const Tensor h = t.to(Device::cpu());
  std::vector<double> v(static_cast<size_t>(h.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (h.dtype()) {
      case DType::Float32: v[i] = h.data<float>()[i]; break;
      case DType::Float16: v[i] = half_to_float(h.data<uint16_t>()[i]); break;
      default: v[i] = bf16_to_float(h.data<uint16_t>()[i]); break;
    }
  }
  return v;
}

// max |a - b| / max |b|.
double relative_error(const std::vector<double>& a, const std::vector<double>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::abs(a[i] - b[i]));
    ref = std::max(ref, std::abs(b[i]));
    if (std::isnan(a[i])) return INFINITY;
  }
  return err / std::max(ref, 1e-30);
}

double tolerance(Precision p) { return p == Precision::Fp32 ? 2e-4 : p == Precision::Fp16 ? 2e-2 : 8e-2; }

class CudaWhisper : public GpuTest, public ::testing::WithParamInterface<Precision> {};

TEST_P(CudaWhisper, MatchesTheCpuModel) {
  const Precision precision = GetParam();
  const auto cpu = WhisperEngine::load(tiny_dir());
  const auto gpu = WhisperEngine::load(tiny_dir(), {Device::cuda(0), precision});
  const WhisperConfig& c = cpu->config();
  auto cpu_run = cpu->make_runner({.threads = 2});
  auto gpu_run = gpu->make_runner({.cuda_stream = stream()});

  const Tensor mels = random_mels(c, 2, 11);
  std::vector<CrossKV> cpu_cross(2), gpu_cross(2);
  CrossKV* cs[2] = {&cpu_cross[0], &cpu_cross[1]};
  CrossKV* gs[2] = {&gpu_cross[0], &gpu_cross[1]};
  cpu_run->encode(mels, cs);
  gpu_run->encode(mels, gs);
  // Keys only: the CUDA model keeps V without its bias, which it folds into the output projection.
  const size_t block = static_cast<size_t>(c.max_source_positions) * static_cast<size_t>(c.d_model);
  for (int w = 0; w < 2; ++w) {
    EXPECT_FALSE(gpu_cross[w].storage().device().is_cpu());
    const std::vector<double> g = as_doubles(gpu_cross[w].storage()), r = as_doubles(cpu_cross[w].storage());
    for (int l = 0; l < c.decoder_layers; ++l) {
      const auto from = static_cast<std::ptrdiff_t>(2 * l * block), to = from + static_cast<std::ptrdiff_t>(block);
      EXPECT_LT(relative_error({g.begin() + from, g.begin() + to}, {r.begin() + from, r.begin() + to}),
                tolerance(precision))
          << "window " << w << " layer " << l << " keys";
    }
  }

  // Three sequences: two on window 0 with different prompts, one on window 1.
  const std::vector<std::vector<int>> prompts = {{c.decoder_start_token_id, 5, 6}, {c.decoder_start_token_id},
                                                 {c.decoder_start_token_id, 9}};
  const int window[3] = {0, 0, 1};
  std::vector<KvCache> cc, gc;
  Tensor cl, gl;
  for (int s = 0; s < 3; ++s) {
    cc.push_back(cpu_run->make_kv_cache());
    gc.push_back(gpu_run->make_kv_cache());
    cpu_run->decode_tokens(cc[s], cpu_cross[window[s]], prompts[s], cl, true);
    gpu_run->decode_tokens(gc[s], gpu_cross[window[s]], prompts[s], gl, true);
    ASSERT_EQ(gl.shape(), cl.shape());
    EXPECT_LT(relative_error(as_doubles(gl), as_doubles(cl)), tolerance(precision)) << "prefill " << s;
  }
  // Ten batched steps: the third and later ones of this batch size replay a captured graph.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> token(0, c.vocab_size - 1);
  for (int step = 0; step < 10; ++step) {
    std::vector<DecodeInput> cb, gb;
    for (int s = 0; s < 3; ++s) {
      const int t = token(rng);
      cb.push_back({t, &cc[s], &cpu_cross[window[s]]});
      gb.push_back({t, &gc[s], &gpu_cross[window[s]]});
    }
    cpu_run->decode_step(cb, cl);
    gpu_run->decode_step(gb, gl);
    EXPECT_LT(relative_error(as_doubles(gl), as_doubles(cl)), tolerance(precision)) << "step " << step;
    for (int s = 0; s < 3; ++s) EXPECT_EQ(gc[s].length(), cc[s].length());
  }
  EXPECT_GT(static_cast<CudaWhisperRunner&>(*gpu_run).graph_replays(), 0);

  // A device fork continues exactly as its source.
  KvCache fork = gpu_run->make_kv_cache();
  gpu_run->copy_cache(fork, gc[0]);
  Tensor a, b;
  const DecodeInput on_fork{7, &fork, &gpu_cross[0]}, on_source{7, &gc[0], &gpu_cross[0]};
  gpu_run->decode_step(std::span<const DecodeInput>(&on_fork, 1), a);
  gpu_run->decode_step(std::span<const DecodeInput>(&on_source, 1), b);
  EXPECT_EQ(as_doubles(a), as_doubles(b));
}

class CudaWhisperTranscript : public GpuTest {};

TEST_F(CudaWhisperTranscript, BeamSearchTranscriptEqualsTheCpuModelsInFp32) {
  const auto cpu = WhisperEngine::load(tiny_dir());
  const auto gpu = WhisperEngine::load(tiny_dir(), {Device::cuda(0), Precision::Fp32});
  auto cpu_run = cpu->make_runner({.threads = 2});
  auto gpu_run = gpu->make_runner({.cuda_stream = stream()});
  std::mt19937 rng(9);
  std::normal_distribution<float> n(0.f, 0.1f);
  std::vector<float> audio(16000 * 40);
  for (float& v : audio) v = n(rng);
  TranscribeOptions options;
  options.decoding.language = "en";
  options.decoding.beam_size = 3;
  options.temperatures = {0.0f};
  const Transcription a = transcribe(*cpu_run, cpu->tokenizer(), audio, options);
  const Transcription b = transcribe(*gpu_run, gpu->tokenizer(), audio, options);
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < a.segments.size(); ++i) {
    EXPECT_EQ(a.segments[i].tokens, b.segments[i].tokens) << "segment " << i;
    EXPECT_NEAR(a.segments[i].avg_logprob, b.segments[i].avg_logprob, 1e-3);
  }
}

TEST_F(CudaWhisperTranscript, CachesOfTheOtherDeviceAreRefused) {
  const auto cpu = WhisperEngine::load(tiny_dir());
  const auto gpu = WhisperEngine::load(tiny_dir(), {Device::cuda(0), Precision::Fp16});
  auto cpu_run = cpu->make_runner({.threads = 1});
  auto gpu_run = gpu->make_runner({.cuda_stream = stream()});
  const Tensor mels = random_mels(cpu->config(), 1, 2);
  CrossKV cpu_cross, gpu_cross;
  CrossKV* cs[1] = {&cpu_cross};
  CrossKV* gs[1] = {&gpu_cross};
  cpu_run->encode(mels, cs);
  gpu_run->encode(mels, gs);
  KvCache host_cache = cpu_run->make_kv_cache(), device_cache = gpu_run->make_kv_cache();
  const int sot = cpu->config().decoder_start_token_id;
  Tensor logits;
  const auto code = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  };
  const std::span<const int> one(&sot, 1);
  EXPECT_EQ(code([&] { gpu_run->decode_tokens(host_cache, gpu_cross, one, logits); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(code([&] { gpu_run->decode_tokens(device_cache, cpu_cross, one, logits); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(code([&] { cpu_run->decode_tokens(device_cache, cpu_cross, one, logits); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(code([&] { gpu_run->copy_cache(device_cache, host_cache); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(device_cache.length(), 0);
  gpu_run->decode_tokens(device_cache, gpu_cross, one, logits);
  EXPECT_EQ(device_cache.length(), 1);
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaWhisper,
                         ::testing::Values(Precision::Fp32, Precision::Fp16, Precision::Bf16),
                         [](const auto& info) {
                           return std::string(info.param == Precision::Fp32   ? "fp32"
                                              : info.param == Precision::Fp16 ? "fp16"
                                                                              : "bf16");
                         });

}  // namespace
}  // namespace lre::test
