// A Whisper checkpoint loaded for one device: configuration, tokenizer and the model's weights in
// the run precision (float32 on the CPU; float32, float16 or bfloat16 on a GPU). Like lre::Engine
// it never changes after loading, so threads share it, each running it through a WhisperRunner of
// its own (a CPU thread pool, or a CUDA stream with its own scratch and graphs).
#pragma once

#include <memory>
#include <string>

#include "asr/checkpoint.h"
#include "asr/tokenizer.h"
#include "asr/whisper_config.h"
#include "asr/whisper_runner.h"
#include "lre/engine.h"
#include "lre/tensor.h"

namespace lre::asr {

struct WhisperEngineOptions {
  Device device = Device::cpu();
  Precision precision = Precision::Fp32;  // Fp16 and Bf16 need a CUDA device
};

struct WhisperRunnerOptions {
  int threads = 0;               // CPU: pool size (0: one per hardware thread); CUDA: host threads for log-mel
  void* cuda_stream = nullptr;   // CUDA: the caller's cudaStream_t (never the default stream); null: an own one
  int priority = 0;              // CUDA: of the runner's own stream (lower is more urgent, as CUDA's)
};

class WhisperEngine {
 public:
  // Loads `dir` (a Hugging Face Whisper folder). Throws lre::Error naming the file or tensor at
  // fault, Unsupported for a precision the device cannot run or a build without CUDA.
  static std::shared_ptr<const WhisperEngine> load(const std::string& dir, const WhisperEngineOptions& options = {});
  virtual ~WhisperEngine() = default;

  const WhisperConfig& config() const { return checkpoint_.config(); }
  const WhisperTokenizer& tokenizer() const { return tokenizer_; }
  const WhisperEngineOptions& options() const { return options_; }

  // A runner for one thread; it keeps this engine alive.
  virtual std::unique_ptr<WhisperRunner> make_runner(const WhisperRunnerOptions& options = {}) const = 0;

 protected:
  WhisperEngine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer, WhisperEngineOptions options)
      : checkpoint_(std::move(checkpoint)), tokenizer_(std::move(tokenizer)), options_(options) {}
  const WhisperCheckpoint& checkpoint() const { return checkpoint_; }

 private:
  WhisperCheckpoint checkpoint_;
  WhisperTokenizer tokenizer_;
  WhisperEngineOptions options_;
};

}  // namespace lre::asr
