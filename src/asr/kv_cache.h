// Key/value storage for the decoder's attention: KvCache, one sequence's self-attention rows for
// every layer, allocated once at full capacity and forked for beam search by copying a prefix; and
// CrossKV, one audio window's cross-attention K/V, projected once and read by all its sequences.
#pragma once

#include <cstddef>
#include <vector>

#include "asr/whisper_config.h"

namespace lre::asr {

class KvCache {
 public:
  // Sized for `config`: decoder_layers layers of max_target_positions rows of d_model.
  explicit KvCache(const WhisperConfig& config);
  KvCache(int layers, int capacity, int d_model);

  int layers() const { return layers_; }
  int capacity() const { return capacity_; }
  int d_model() const { return d_model_; }
  // Positions filled; the next token decoded for this sequence goes at this position.
  int length() const { return length_; }

  // (capacity, d_model) each, heads side by side along d_model; rows [0, length) are valid.
  float* keys(int layer) { return data_.data() + block(layer, 0); }
  float* values(int layer) { return data_.data() + block(layer, 1); }
  const float* keys(int layer) const { return data_.data() + block(layer, 0); }
  const float* values(int layer) const { return data_.data() + block(layer, 1); }

  // Forgets every position, for a new sequence.
  void reset() { length_ = 0; }
  // Keeps the first `length` positions (0 <= length <= length()): a decode rolled back.
  void truncate(int length);
  // Becomes `other`'s first `length` positions (-1: all of them), as beam search forks a
  // hypothesis; both caches must have the same shape.
  void copy_from(const KvCache& other, int length = -1);

 private:
  friend class Decoder;  // the only writer of new positions: it fills their rows, then the length
  void set_length(int length) { length_ = length; }
  size_t block(int layer, int kv) const {
    return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * static_cast<size_t>(capacity_) *
           static_cast<size_t>(d_model_);
  }

  int layers_, capacity_, d_model_;
  int length_ = 0;
  std::vector<float> data_;  // (layers, 2, capacity, d_model): K then V of each layer
};

class CrossKV {
 public:
  CrossKV() = default;  // empty until Decoder::compute_cross_kv fills it
  CrossKV(int layers, int frames, int d_model);

  bool empty() const { return data_.empty(); }
  int layers() const { return layers_; }
  int frames() const { return frames_; }
  int d_model() const { return d_model_; }

  // (frames, d_model) each, heads side by side along d_model.
  float* keys(int layer) { return data_.data() + block(layer, 0); }
  float* values(int layer) { return data_.data() + block(layer, 1); }
  const float* keys(int layer) const { return data_.data() + block(layer, 0); }
  const float* values(int layer) const { return data_.data() + block(layer, 1); }

  // Makes room for this shape, keeping the allocation when it already fits (slots are reused
  // window after window).
  void resize(int layers, int frames, int d_model);

 private:
  size_t block(int layer, int kv) const {
    return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * static_cast<size_t>(frames_) *
           static_cast<size_t>(d_model_);
  }

  int layers_ = 0, frames_ = 0, d_model_ = 0;
  std::vector<float> data_;  // (layers, 2, frames, d_model)
};

}  // namespace lre::asr
