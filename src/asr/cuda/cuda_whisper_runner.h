// One thread's means to run a CUDA Whisper engine: its stream (the caller's or its own), cuBLAS
// handle and scratch, and the decoder step as a CUDA graph per batch size.
// The decoder step is graph-friendly by construction: everything that changes between steps
// (tokens, positions, which cache and which window each row reads, how long each sequence is)
// sits in a small device table uploaded before the launch, and every kernel reads it there, so the
// graph captured for a batch size replays for every later step of that size.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "asr/cuda/cuda_whisper_engine.h"
#include "asr/whisper_runner.h"
#include "core/thread_pool.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/kernel_env.h"
#include "device/cuda/stream.h"
#include "engine/tuning_table.h"

namespace lre::asr {

class CudaWhisperRunner final : public WhisperRunner {
 public:
  CudaWhisperRunner(std::shared_ptr<const CudaWhisperEngine> engine, const WhisperRunnerOptions& options);
  ~CudaWhisperRunner() override;

  const WhisperConfig& config() const override { return engine_->config(); }
  ThreadPool* pool() override { return &pool_; }
  void encode(const Tensor& mels, std::span<CrossKV* const> cross) override;
  void decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) override;
  KvCache make_kv_cache() override;
  void copy_cache(KvCache& dst, const KvCache& src, int length = -1) override;

  cudaStream_t stream() const { return stream_.get(); }
  // Decoder steps replayed from a captured graph so far (for tests).
  int64_t graph_replays() const { return graph_replays_; }

 private:
  struct Step;  // device addresses of one decoder step's table and scratch

  // y (rows, l.out) = x (rows, l.in) W^T + beta * y, y in y_dtype (the run dtype or float32);
  // the bias is left to the caller's fused kernels.
  void linear(const void* x, int64_t rows, const DeviceLinear& l, void* y, DType y_dtype, float beta = 0.f);
  // Device memory of this runner's pool, freed on this runner's stream when the tensor goes.
  Tensor device_tensor(DType dtype, Shape shape);
  // The decoder's kernels for a batch of n rows, reading the step table.
  void enqueue_step(int64_t n);
  void reserve_step(int64_t n);
  void launch_step(int64_t n);

  std::shared_ptr<const CudaWhisperEngine> engine_;
  const CudaWhisperWeights& w_;
  DType dtype_;
  int device_;
  lre::cuda::CudaStream stream_;
  TuningTable tuning_;  // unused by the Whisper kernels; KernelEnv wants one
  lre::cuda::KernelEnv env_;
  ThreadPool pool_;

  // Decoder step: capacity in rows, the table (host staging and device), scratch, logits.
  int64_t step_capacity_ = 0;
  lre::cuda::PinnedBuffer table_host_;
  lre::cuda::DeviceBuffer table_dev_;
  lre::cuda::DeviceBuffer step_scratch_;
  lre::cuda::PinnedBuffer logits_host_;
  std::unique_ptr<Step> step_;
  struct Graph {
    int launches = 0;                  // eager runs before capture
    cudaGraphExec_t exec = nullptr;
  };
  std::map<int64_t, Graph> graphs_;    // by batch rows
  int64_t graph_replays_ = 0;
  void clear_graphs();

  // Encoder scratch, grown to the most windows seen.
  int64_t encode_capacity_ = 0;
  lre::cuda::DeviceBuffer encode_scratch_;
  lre::cuda::PinnedBuffer mel_host_;
};

}  // namespace lre::asr
