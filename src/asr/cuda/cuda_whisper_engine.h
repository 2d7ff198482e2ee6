// Whisper on a CUDA device: the engine (the checkpoint's weights uploaded once in the run dtype)
// and the factory WhisperEngine::load calls for a CUDA device.
#pragma once

#include <memory>

#include "asr/cuda/cuda_whisper_weights.h"
#include "asr/whisper_engine.h"

namespace lre::asr {

class CudaWhisperEngine final : public WhisperEngine, public std::enable_shared_from_this<CudaWhisperEngine> {
 public:
  CudaWhisperEngine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer, WhisperEngineOptions options);

  std::unique_ptr<WhisperRunner> make_runner(const WhisperRunnerOptions& options) const override;

  const CudaWhisperWeights& weights() const { return weights_; }
  DType dtype() const { return weights_.dtype(); }
  int device() const { return options().device.index; }

 private:
  CudaWhisperWeights weights_;
};

std::shared_ptr<const WhisperEngine> make_cuda_whisper_engine(WhisperCheckpoint checkpoint, WhisperTokenizer tokenizer,
                                                              const WhisperEngineOptions& options);

}  // namespace lre::asr
