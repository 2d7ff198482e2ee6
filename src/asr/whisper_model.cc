// The public entry points of the CPU Whisper model: argument checks at the boundary, then the
// encoder and decoder do the work.
#include "asr/whisper_model.h"

#include <string>
#include <utility>

#include "lre/error.h"

namespace lre::asr {

WhisperModel::WhisperModel(WhisperConfig config, const WhisperWeights& weights)
    : config_(std::move(config)), encoder_(config_, weights), decoder_(config_, weights) {}

Tensor WhisperModel::encode(CpuContext& ctx, const Tensor& mels, std::span<CrossKV* const> cross) const {
  if (!cross.empty() && mels.defined() && mels.rank() >= 1 && static_cast<int64_t>(cross.size()) != mels.dim(0))
    throw Error(ErrorCode::InvalidArgument, "Whisper encode: " + std::to_string(cross.size()) +
                                                " cross-attention slots for " + std::to_string(mels.dim(0)) +
                                                " mel windows");
  Tensor states = encoder_.forward(ctx, mels);
  if (!cross.empty()) compute_cross_kv(ctx, states, cross);
  return states;
}

void WhisperModel::compute_cross_kv(CpuContext& ctx, const Tensor& states, std::span<CrossKV* const> cross) const {
  const bool ok = states.defined() && states.device().is_cpu() && states.dtype() == DType::Float32 &&
                  states.rank() == 3 && states.dim(0) == static_cast<int64_t>(cross.size()) && states.dim(1) > 0 &&
                  states.dim(2) == config_.d_model;
  if (!ok)
    throw Error(ErrorCode::InvalidArgument,
                "Whisper compute_cross_kv: states must be a float32 host tensor of shape [" +
                    std::to_string(cross.size()) + ", frames, " + std::to_string(config_.d_model) + "], got " +
                    (states.defined() ? shape_to_string(states.shape()) : std::string("an undefined tensor")));
  for (size_t i = 0; i < cross.size(); ++i)
    if (!cross[i])
      throw Error(ErrorCode::InvalidArgument, "Whisper compute_cross_kv: slot " + std::to_string(i) + " is null");
  const int64_t frames = states.dim(1), window = frames * config_.d_model;
  for (size_t i = 0; i < cross.size(); ++i)
    decoder_.compute_cross_kv(ctx, states.data<float>() + static_cast<int64_t>(i) * window, frames, *cross[i]);
}

void WhisperModel::decode(CpuContext& ctx, std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) const {
  decoder_.forward(ctx, batch, which, logits);
}

}  // namespace lre::asr
