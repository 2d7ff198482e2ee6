// The CUDA engine: weights converted and uploaded at load; runners made on demand.
#include "asr/cuda/cuda_whisper_engine.h"

#include <string>
#include <utility>

#include "asr/cuda/cuda_whisper_runner.h"
#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

DType run_dtype(Precision p) {
  switch (p) {
    case Precision::Fp16: return DType::Float16;
    case Precision::Bf16: return DType::BFloat16;
    default: return DType::Float32;
  }
}

int checked_device(const WhisperEngineOptions& options) {
  int count = 0;
  LRE_CUDA_CHECK(cudaGetDeviceCount(&count));
  if (options.device.index < 0 || options.device.index >= count)
    throw Error(ErrorCode::InvalidArgument, "Whisper: device " + options.device.to_string() + " is not one of the " +
                                                std::to_string(count) + " CUDA devices");
  return options.device.index;
}

}  // namespace

CudaWhisperEngine::CudaWhisperEngine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer,
                                     WhisperEngineOptions options)
    : WhisperEngine(std::move(checkpoint), std::move(tokenizer), options),
      weights_(config(), this->checkpoint().float32_weights(), run_dtype(options.precision), checked_device(options)) {
}

std::unique_ptr<WhisperRunner> CudaWhisperEngine::make_runner(const WhisperRunnerOptions& options) const {
  return std::make_unique<CudaWhisperRunner>(shared_from_this(), options);
}

std::shared_ptr<const WhisperEngine> make_cuda_whisper_engine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer,
                                                              const WhisperEngineOptions& options) {
  return std::make_shared<CudaWhisperEngine>(std::move(checkpoint), std::move(tokenizer), options);
}

}  // namespace lre::asr
