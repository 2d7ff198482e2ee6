// The CPU runner forwards to the model with its own context.
#include "asr/cpu_runner.h"

#include <utility>

namespace lre::asr {

CpuWhisperRunner::CpuWhisperRunner(const WhisperModel& model, int threads, std::shared_ptr<const void> owner)
    : owner_(std::move(owner)), model_(model), ctx_(threads) {}

CpuWhisperRunner::CpuWhisperRunner(const WhisperModel& model, ThreadPool* pool) : model_(model), ctx_(pool) {}

void CpuWhisperRunner::encode(const Tensor& mels, std::span<CrossKV* const> cross) { model_.encode(ctx_, mels, cross); }

void CpuWhisperRunner::decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) {
  model_.decode(ctx_, batch, which, logits);
}

}  // namespace lre::asr
