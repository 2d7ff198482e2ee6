// The CPU implementation of WhisperRunner: the float32 model (shared by any number of runners)
// and one CpuContext (thread pool and scratch) of this runner's own.
#pragma once

#include <memory>

#include "asr/cpu_context.h"
#include "asr/whisper_model.h"
#include "asr/whisper_runner.h"

namespace lre::asr {

class CpuWhisperRunner final : public WhisperRunner {
 public:
  // `model` must outlive the runner, or be kept alive by `owner`, which the runner holds.
  // threads: as CpuContext's (0: one per hardware thread).
  CpuWhisperRunner(const WhisperModel& model, int threads, std::shared_ptr<const void> owner = nullptr);
  // Borrows `pool` (may be null: everything runs on the calling thread).
  CpuWhisperRunner(const WhisperModel& model, ThreadPool* pool);

  const WhisperConfig& config() const override { return model_.config(); }
  ThreadPool* pool() override { return ctx_.pool(); }
  void encode(const Tensor& mels, std::span<CrossKV* const> cross) override;
  void decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) override;
  KvCache make_kv_cache() override { return model_.make_kv_cache(); }
  void copy_cache(KvCache& dst, const KvCache& src, int length = -1) override { dst.copy_from(src, length); }

  CpuContext& context() { return ctx_; }
  const WhisperModel& model() const { return model_; }

 private:
  std::shared_ptr<const void> owner_;
  const WhisperModel& model_;
  CpuContext ctx_;
};

}  // namespace lre::asr
