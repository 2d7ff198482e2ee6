// Whisper's log-mel spectrogram on a CUDA device, the twin of LogMel (audio/log_mel.h): the same
// window, filters, padding and frame count, and the same float64 transform and mel sums, so the two
// backends agree to float32 rounding. Plain C++: the kernels live in log_mel_cuda.cu.
#pragma once

#include <cstdint>
#include <map>
#include <span>

#include <cuda_runtime_api.h>
#include <cufft.h>

#include "audio/log_mel.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/stream.h"

namespace lre::audio {

// One per thread (or per runner): compute() reuses this object's cuFFT plans and pinned staging, so
// two threads must not call it at once. Work is enqueued on the caller's stream and never waited on,
// except that a call first waits until the previous call's upload has left the pinned staging.
class CudaLogMel {
 public:
  // n_mels is 80 or 128; anything else throws LogMel's InvalidArgument. Uploads the window, filters
  // and filter spans to `device` and waits for them: load time. Makes `device` current.
  CudaLogMel(int n_mels, int device);
  // Waits on the host for the last call's work before freeing what it reads.
  ~CudaLogMel();

  CudaLogMel(const CudaLogMel&) = delete;
  CudaLogMel& operator=(const CudaLogMel&) = delete;
  CudaLogMel(CudaLogMel&&) = delete;
  CudaLogMel& operator=(CudaLogMel&&) = delete;

  int n_mels() const { return cpu_.n_mels(); }
  int device() const { return device_; }

  // Creates the cuFFT plans a call over `total_frames` frames (all windows of a batch together, e.g.
  // windows * 3000) uses, so that the first such call creates none. Plan creation allocates and
  // synchronises: load time. compute() creates missing plans itself on first use.
  void prepare(int64_t total_frames);

  // out: device float32 (n_mels, LogMel::frame_count(samples_16k.size(), pad_to_samples)), as
  // LogMel::compute returns it: the audio is zero-padded to pad_to_samples (never truncated) and to
  // LogMel::kMinSamples, so empty audio gives one frame of silence. pad_to_samples < 0 throws
  // InvalidArgument, as does the legacy or per-thread default stream. `out` lives on device(), which
  // the call makes current. Host samples go up through pinned staging that grows to the largest
  // call (growing synchronises); scratch (6.4 kB a frame, at most ~80 MB, plus cuFFT's work area)
  // comes from the device's DevicePool on `stream`.
  void compute(std::span<const float> samples_16k, int64_t pad_to_samples, cudaStream_t stream, float* out);

  // n windows at once: out (n, n_mels, frames), window w exactly as compute(windows[w], ...) gives
  // it, each clamped to its own maximum as Whisper does per input. Every window must give the same
  // frame count (with pad_to_samples = 480000 any window of up to 30 s does); else InvalidArgument.
  // No windows: nothing is done.
  void compute_batch(std::span<const std::span<const float>> windows, int64_t pad_to_samples, cudaStream_t stream,
                     float* out);

 private:
  struct Plan {
    cufftHandle handle = 0;
    size_t work_bytes = 0;  // the work area the plan needs, handed to it from each call's scratch
  };
  // The D2Z plan over `frames` transforms of LogMel::kNFft, created on first use.
  const Plan& plan(int64_t frames);

  LogMel cpu_;  // the CPU twin: its window, filters and spans are uploaded
  int device_;
  cuda::CudaStream load_stream_;  // the constants are uploaded and finally freed on it
  cuda::DeviceBuffer constants_;
  const double* window_ = nullptr;     // (kNFft)
  const float* filters_ = nullptr;     // (n_mels, kBins)
  const int* band_begin_ = nullptr;    // (n_mels)
  const int* band_end_ = nullptr;      // (n_mels)
  cuda::PinnedBuffer staging_;         // window offsets and samples on their way up
  cuda::CudaEvent staged_;             // the last upload out of staging_
  cuda::CudaEvent done_;               // the last call's work
  std::map<int64_t, Plan> plans_;      // by transforms per cuFFT call
};

}  // namespace lre::audio
