// Runs a Whisper checkpoint on one log-mel window the way bench/whisper_gpu.py compares it with
// transformers: writes the cross-attention keys of every decoder layer (the encoder output seen
// through each layer's k projection), the logits of a teacher-forced decode, the tokens of a free
// greedy decode, and the time per window.
//
//   lre_whisper_probe MODEL_DIR MEL.npy OUT_DIR [--device cpu|cuda[:N]] [--precision fp32|fp16|bf16]
//                     [--prompt 50258,50259,50360,50364] [--steps 100] [--teacher TOKENS.npy] [--repeat 10]
//
// MEL.npy: float32 (num_mel_bins, 3000) or (1, num_mel_bins, 3000). Outputs in OUT_DIR: cross_k.npy
// (layers, frames, d_model) float32; greedy.npy (steps) int64, raw argmax with no logit filters;
// logits.npy (steps, vocab) float32 with --teacher (row i: the prediction after the prompt and the
// first i teacher tokens); timing.json: median milliseconds of encode, of one decode step, and of a
// whole window (mel on the host to `steps` greedy tokens on the host).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "asr/whisper_engine.h"
#include "core/half.h"
#include "core/npy.h"
#include "lre/error.h"

namespace {

using namespace lre;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string model, mel, out, device = "cuda", precision = "fp16", teacher;
  std::vector<int> prompt = {50258, 50259, 50360, 50364};
  int steps = 100, repeat = 10;
};

Args parse(int argc, char** argv) {
  if (argc < 4) throw Error(ErrorCode::InvalidArgument, "usage: lre_whisper_probe MODEL_DIR MEL.npy OUT_DIR [options]");
  Args a;
  a.model = argv[1];
  a.mel = argv[2];
  a.out = argv[3];
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--device") a.device = v;
    else if (k == "--precision") a.precision = v;
    else if (k == "--teacher") a.teacher = v;
    else if (k == "--steps") a.steps = std::stoi(v);
    else if (k == "--repeat") a.repeat = std::stoi(v);
    else if (k == "--prompt") {
      a.prompt.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) a.prompt.push_back(std::stoi(t));
    } else {
      throw Error(ErrorCode::InvalidArgument, "unknown option " + k);
    }
  }
  return a;
}

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::cpu();
  if (s == "cuda") return Device::cuda(0);
  if (s.rfind("cuda:", 0) == 0) return Device::cuda(std::stoi(s.substr(5)));
  throw Error(ErrorCode::InvalidArgument, "--device " + s);
}

Precision parse_precision(const std::string& s) {
  if (s == "fp32") return Precision::Fp32;
  if (s == "fp16") return Precision::Fp16;
  if (s == "bf16") return Precision::Bf16;
  throw Error(ErrorCode::InvalidArgument, "--precision " + s);
}

// Any float tensor, anywhere, as host float32.
Tensor host_float32(const Tensor& t) {
  const Tensor h = t.to(Device::cpu());
  Tensor out(DType::Float32, h.shape());
  float* o = out.data<float>();
  for (int64_t i = 0; i < h.numel(); ++i) {
    switch (h.dtype()) {
      case DType::Float32: o[i] = h.data<float>()[i]; break;
      case DType::Float16: o[i] = half_to_float(h.data<uint16_t>()[i]); break;
      case DType::BFloat16: o[i] = bf16_to_float(h.data<uint16_t>()[i]); break;
      default: throw Error(ErrorCode::Unsupported, "cross K/V dtype");
    }
  }
  return out;
}

int argmax(const float* x, int64_t n) { return static_cast<int>(std::max_element(x, x + n) - x); }

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int run(const Args& a) {
  const auto engine = asr::WhisperEngine::load(a.model, {parse_device(a.device), parse_precision(a.precision)});
  const asr::WhisperConfig& c = engine->config();
  auto runner = engine->make_runner();
  Tensor mel = read_npy(a.mel);
  if (mel.rank() == 2) mel = mel.reshaped({1, mel.dim(0), mel.dim(1)});

  asr::CrossKV cross;
  asr::CrossKV* slots[1] = {&cross};
  Tensor logits;
  // Prompt, then `steps` argmax tokens; returns them.
  const auto greedy = [&]() {
    asr::KvCache cache = runner->make_kv_cache();
    runner->decode_tokens(cache, cross, a.prompt, logits);
    std::vector<int> tokens;
    for (int s = 0; s < a.steps; ++s) {
      const int t = argmax(logits.data<float>(), c.vocab_size);
      tokens.push_back(t);
      if (s + 1 < a.steps) {
        const asr::DecodeInput in{t, &cache, &cross};
        runner->decode_step(std::span<const asr::DecodeInput>(&in, 1), logits);
      }
    }
    return tokens;
  };

  // Warm-up (cuBLAS kernel loading, graph capture), then timed windows.
  runner->encode(mel, slots);
  std::vector<int> tokens = greedy();
  std::vector<double> encode_ms, window_ms, step_ms;
  for (int r = 0; r < a.repeat; ++r) {
    const auto t0 = Clock::now();
    runner->encode(mel, slots);
    encode_ms.push_back(ms_since(t0));
    const auto t1 = Clock::now();
    const std::vector<int> again = greedy();
    const double decode = ms_since(t1);
    window_ms.push_back(ms_since(t0));
    step_ms.push_back(decode / a.steps);
    if (again != tokens) throw Error(ErrorCode::Internal, "greedy tokens differ between repeats");
  }

  Tensor cross_k = host_float32(cross.storage());  // (layers, 2, frames, d)
  const int64_t layers = cross_k.dim(0), frames = cross_k.dim(2), d = cross_k.dim(3);
  Tensor keys(DType::Float32, {layers, frames, d});
  for (int64_t l = 0; l < layers; ++l)
    std::copy_n(cross_k.data<float>() + l * 2 * frames * d, frames * d, keys.data<float>() + l * frames * d);
  write_npy(keys, a.out + "/cross_k.npy");

  Tensor greedy_out(DType::Int64, {static_cast<int64_t>(tokens.size())});
  for (size_t i = 0; i < tokens.size(); ++i) greedy_out.data<int64_t>()[i] = tokens[i];
  write_npy(greedy_out, a.out + "/greedy.npy");

  if (!a.teacher.empty()) {
    const Tensor teacher = read_npy(a.teacher);
    const int64_t steps = std::min<int64_t>(a.steps, teacher.numel());
    Tensor all(DType::Float32, {steps, c.vocab_size});
    asr::KvCache cache = runner->make_kv_cache();
    runner->decode_tokens(cache, cross, a.prompt, logits);
    for (int64_t s = 0; s < steps; ++s) {
      std::copy_n(logits.data<float>(), c.vocab_size, all.data<float>() + s * c.vocab_size);
      const int t = static_cast<int>(teacher.dtype() == DType::Int64 ? teacher.data<int64_t>()[s]
                                                                     : teacher.data<int32_t>()[s]);
      const asr::DecodeInput in{t, &cache, &cross};
      if (s + 1 < steps) runner->decode_step(std::span<const asr::DecodeInput>(&in, 1), logits);
    }
    write_npy(all, a.out + "/logits.npy");
  }

  nlohmann::json timing = {{"encode_ms", median(encode_ms)}, {"step_ms", median(step_ms)},
                           {"window_ms", median(window_ms)}, {"steps", a.steps}, {"repeat", a.repeat},
                           {"device", a.device}, {"precision", a.precision}};
  std::ofstream(a.out + "/timing.json") << timing.dump(2) << "\n";
  std::printf("%s\n", timing.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lre_whisper_probe: %s\n", e.what());
    return 1;
  }
}
