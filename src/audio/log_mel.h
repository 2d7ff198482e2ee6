// Whisper's log-mel spectrogram on the CPU, matching openai/whisper's log_mel_spectrogram value for
// value: the encoder was trained on exactly this normalisation, so any drift here shifts its inputs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::audio {

class LogMel {
 public:
  static constexpr int64_t kSampleRate = 16000;
  static constexpr int64_t kNFft = 400;
  static constexpr int64_t kHop = 160;
  static constexpr int64_t kBins = kNFft / 2 + 1;  // 201
  // torch's reflect padding needs more samples than the pad (200); shorter audio is zero-padded
  // to this length first rather than rejected, so silence and clips of any length give frames.
  static constexpr int64_t kMinSamples = kNFft / 2 + 1;

  // n_mels is 80 (Whisper up to large-v2) or 128 (large-v3); anything else throws InvalidArgument.
  explicit LogMel(int n_mels);

  int n_mels() const { return n_mels_; }
  // (n_mels, kBins) row-major, float32 as librosa.filters.mel(sr=16000, n_fft=400, htk=False,
  // norm="slaney") returns it and as Whisper stores it.
  const std::vector<float>& filters() const { return filters_; }
  const std::vector<double>& window() const { return window_; }  // (kNFft) periodic Hann
  // (n_mels): filter m is nonzero only on bins [band_begin()[m], band_end()[m]). The CUDA twin
  // (audio/cuda/log_mel_cuda.h) sums the same spans in the same order.
  const std::vector<int64_t>& band_begin() const { return band_begin_; }
  const std::vector<int64_t>& band_end() const { return band_end_; }

  // Frames compute() returns for this many samples: the audio is first zero-padded to
  // pad_to_samples (never truncated) and then to kMinSamples; Whisper's last STFT frame is dropped.
  static int64_t frame_count(int64_t samples, int64_t pad_to_samples = 0);

  // samples_16k: mono audio at 16 kHz. Returns float32 (n_mels, frames). With a pool the frames
  // are spread over its threads; the result does not depend on the thread count.
  Tensor compute(std::span<const float> samples_16k, int64_t pad_to_samples = 0, ThreadPool* pool = nullptr) const;

 private:
  int n_mels_;
  std::vector<float> filters_;                 // (n_mels, kBins)
  std::vector<double> window_;                 // (kNFft)
  std::vector<int64_t> band_begin_, band_end_;  // (n_mels): the nonzero bins of each filter
};

}  // namespace lre::audio
