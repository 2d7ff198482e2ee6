// Key/value storage for the decoder's attention: KvCache, one sequence's self-attention rows for
// every layer, allocated once at full capacity and forked for beam search by copying a prefix; and
// CrossKV, one audio window's cross-attention K/V, projected once and read by all its sequences.
// Both keep their rows in a Tensor: float32 host memory for the CPU model, device memory in the
// run precision for the CUDA model (which allocates it and reads storage() directly).
#pragma once

#include <cstddef>

#include "asr/whisper_config.h"
#include "lre/tensor.h"

namespace lre::asr {

class KvCache {
 public:
  // Host float32, sized for `config`: decoder_layers layers of max_target_positions rows of d_model.
  explicit KvCache(const WhisperConfig& config);
  KvCache(int layers, int capacity, int d_model);
  // Over `storage` of shape (layers, 2, capacity, d_model), any float dtype, on any device.
  KvCache(int layers, int capacity, int d_model, Tensor storage);
  // Move-only: a copy would share the rows (forks copy them explicitly).
  KvCache(KvCache&&) noexcept = default;
  KvCache& operator=(KvCache&&) noexcept = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int layers() const { return layers_; }
  int capacity() const { return capacity_; }
  int d_model() const { return d_model_; }
  // Positions filled; the next token decoded for this sequence goes at this position.
  int length() const { return length_; }

  // (layers, 2, capacity, d_model): K then V of each layer, heads side by side along d_model;
  // rows [0, length) are valid.
  const Tensor& storage() const { return data_; }
  Tensor& storage() { return data_; }
  bool on_host_float32() const { return data_.device().is_cpu() && data_.dtype() == DType::Float32; }

  // (capacity, d_model) each, for host float32 storage only.
  float* keys(int layer) { return data_.data<float>() + block(layer, 0); }
  float* values(int layer) { return data_.data<float>() + block(layer, 1); }
  const float* keys(int layer) const { return data_.data<float>() + block(layer, 0); }
  const float* values(int layer) const { return data_.data<float>() + block(layer, 1); }

  // Forgets every position, for a new sequence.
  void reset() { length_ = 0; }
  // Keeps the first `length` positions (0 <= length <= length()): a decode rolled back.
  void truncate(int length);
  // Becomes `other`'s first `length` positions (-1: all of them), as beam search forks a
  // hypothesis; both caches must have the same shape and host float32 storage (a device model
  // copies its caches on its own stream: WhisperRunner::copy_cache).
  void copy_from(const KvCache& other, int length = -1);
  // Checks that `other` has this cache's shape and at least `length` positions (-1: all of them);
  // returns the length to copy.
  int check_copy(const KvCache& other, int length) const;

  // For the models, after they wrote the rows of the new positions.
  void set_length(int length) { length_ = length; }

 private:
  size_t block(int layer, int kv) const {
    return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * static_cast<size_t>(capacity_) *
           static_cast<size_t>(d_model_);
  }

  int layers_, capacity_, d_model_;
  int length_ = 0;
  Tensor data_;
};

class CrossKV {
 public:
  CrossKV() = default;  // empty until a model's encode fills it
  CrossKV(int layers, int frames, int d_model);
  CrossKV(CrossKV&&) noexcept = default;
  CrossKV& operator=(CrossKV&&) noexcept = default;
  CrossKV(const CrossKV&) = delete;
  CrossKV& operator=(const CrossKV&) = delete;

  bool empty() const { return !data_.defined(); }
  int layers() const { return layers_; }
  int frames() const { return frames_; }
  int d_model() const { return d_model_; }

  // (layers, 2, frames, d_model), heads side by side along d_model.
  const Tensor& storage() const { return data_; }
  Tensor& storage() { return data_; }

  // (frames, d_model) each, for host float32 storage only.
  float* keys(int layer) { return data_.data<float>() + block(layer, 0); }
  float* values(int layer) { return data_.data<float>() + block(layer, 1); }
  const float* keys(int layer) const { return data_.data<float>() + block(layer, 0); }
  const float* values(int layer) const { return data_.data<float>() + block(layer, 1); }

  // Host float32 storage of this shape, keeping the allocation when it already is (slots are
  // reused window after window).
  void resize(int layers, int frames, int d_model);
  // Takes `storage` of shape (layers, 2, frames, d_model), any float dtype and device.
  void assign(int layers, int frames, int d_model, Tensor storage);

 private:
  size_t block(int layer, int kv) const {
    return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * static_cast<size_t>(frames_) *
           static_cast<size_t>(d_model_);
  }

  int layers_ = 0, frames_ = 0, d_model_ = 0;
  Tensor data_;
};

}  // namespace lre::asr
