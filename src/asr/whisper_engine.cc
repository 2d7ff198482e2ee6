// Loading picks the model for the device: the float32 CPU model, or (in CUDA builds) the CUDA
// model in the requested precision.
#include "asr/whisper_engine.h"

#include <utility>

#include "asr/cpu_runner.h"
#include "asr/whisper_model.h"
#include "lre/error.h"

#if LRE_WITH_CUDA
#include "asr/cuda/cuda_whisper_engine.h"
#endif

namespace lre::asr {

namespace {

class CpuWhisperEngine final : public WhisperEngine, public std::enable_shared_from_this<CpuWhisperEngine> {
 public:
  CpuWhisperEngine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer, WhisperEngineOptions options)
      : WhisperEngine(std::move(checkpoint), std::move(tokenizer), options),
        model_(config(), this->checkpoint().float32_weights()) {}

  std::unique_ptr<WhisperRunner> make_runner(const WhisperRunnerOptions& options) const override {
    // The runner holds the engine, so the model it borrows stays alive as long as it does.
    return std::make_unique<CpuWhisperRunner>(model_, options.threads, shared_from_this());
  }

 private:
  WhisperModel model_;
};

}  // namespace

std::shared_ptr<const WhisperEngine> WhisperEngine::load(const std::string& dir, const WhisperEngineOptions& options) {
  WhisperCheckpoint checkpoint = WhisperCheckpoint::load(dir);
  WhisperTokenizer tokenizer = WhisperTokenizer::load(dir);
  if (options.device.is_cpu()) {
    if (options.precision != Precision::Fp32)
      throw Error(ErrorCode::Unsupported, "Whisper on the CPU runs in float32; fp16 and bf16 need a CUDA device");
    return std::make_shared<CpuWhisperEngine>(std::move(checkpoint), std::move(tokenizer), options);
  }
#if LRE_WITH_CUDA
  return make_cuda_whisper_engine(std::move(checkpoint), std::move(tokenizer), options);
#else
  throw Error(ErrorCode::Unsupported, "Whisper on " + options.device.to_string() + ": this build has no CUDA backend");
#endif
}

}  // namespace lre::asr
