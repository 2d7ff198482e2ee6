// KV storage shapes and beam-search forking. A fork copies only the rows in use, per layer, so its
// cost follows the sequence's length, not the cache's capacity.
#include "asr/kv_cache.h"

#include <algorithm>
#include <string>
#include <utility>

#include "lre/error.h"

namespace lre::asr {

namespace {

void check_dims(const char* what, int layers, int rows, int d_model) {
  if (layers <= 0 || rows <= 0 || d_model <= 0)
    throw Error(ErrorCode::InvalidArgument, std::string(what) + ": layers, rows and d_model must be positive, got " +
                                                std::to_string(layers) + ", " + std::to_string(rows) + ", " +
                                                std::to_string(d_model));
}

void check_storage(const char* what, const Tensor& storage, int layers, int rows, int d_model) {
  check_dims(what, layers, rows, d_model);
  const Shape shape{layers, 2, rows, d_model};
  if (!storage.defined() || storage.shape() != shape)
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + ": storage must have shape " + shape_to_string(shape) + ", got " +
                    (storage.defined() ? shape_to_string(storage.shape()) : std::string("an undefined tensor")));
}

}  // namespace

KvCache::KvCache(const WhisperConfig& config)
    : KvCache(config.decoder_layers, config.max_target_positions, config.d_model) {}

KvCache::KvCache(int layers, int capacity, int d_model) : layers_(layers), capacity_(capacity), d_model_(d_model) {
  check_dims("KvCache", layers, capacity, d_model);
  data_ = Tensor(DType::Float32, {layers, 2, capacity, d_model});
}

KvCache::KvCache(int layers, int capacity, int d_model, Tensor storage)
    : layers_(layers), capacity_(capacity), d_model_(d_model), data_(std::move(storage)) {
  check_storage("KvCache", data_, layers, capacity, d_model);
}

void KvCache::truncate(int length) {
  if (length < 0 || length > length_)
    throw Error(ErrorCode::InvalidArgument, "KvCache::truncate: length " + std::to_string(length) +
                                                " is outside [0, " + std::to_string(length_) + "]");
  length_ = length;
}

int KvCache::check_copy(const KvCache& other, int length) const {
  if (length < 0) length = other.length_;
  if (other.layers_ != layers_ || other.capacity_ != capacity_ || other.d_model_ != d_model_)
    throw Error(ErrorCode::InvalidArgument,
                "KvCache::copy_from: caches of different shapes (layers, capacity, d_model) " +
                    std::to_string(other.layers_) + ", " + std::to_string(other.capacity_) + ", " +
                    std::to_string(other.d_model_) + " and " + std::to_string(layers_) + ", " +
                    std::to_string(capacity_) + ", " + std::to_string(d_model_));
  if (length > other.length_)
    throw Error(ErrorCode::InvalidArgument, "KvCache::copy_from: length " + std::to_string(length) +
                                                " exceeds the source's " + std::to_string(other.length_));
  if (other.data_.dtype() != data_.dtype() || other.data_.device() != data_.device())
    throw Error(ErrorCode::InvalidArgument, "KvCache::copy_from: caches of different dtypes or devices");
  return length;
}

void KvCache::copy_from(const KvCache& other, int length) {
  length = check_copy(other, length);
  if (!on_host_float32())
    throw Error(ErrorCode::InvalidArgument, "KvCache::copy_from: device caches are copied by their model's runner");
  if (&other != this) {
    const size_t rows = static_cast<size_t>(length) * static_cast<size_t>(d_model_);
    for (int l = 0; l < layers_; ++l) {
      std::copy_n(other.keys(l), rows, keys(l));
      std::copy_n(other.values(l), rows, values(l));
    }
  }
  length_ = length;
}

CrossKV::CrossKV(int layers, int frames, int d_model) { resize(layers, frames, d_model); }

void CrossKV::resize(int layers, int frames, int d_model) {
  check_dims("CrossKV", layers, frames, d_model);
  const Shape shape{layers, 2, frames, d_model};
  if (!data_.defined() || !data_.device().is_cpu() || data_.dtype() != DType::Float32 || data_.shape() != shape)
    data_ = Tensor(DType::Float32, shape);
  layers_ = layers;
  frames_ = frames;
  d_model_ = d_model;
}

void CrossKV::assign(int layers, int frames, int d_model, Tensor storage) {
  check_storage("CrossKV", storage, layers, frames, d_model);
  data_ = std::move(storage);
  layers_ = layers;
  frames_ = frames;
  d_model_ = d_model;
}

}  // namespace lre::asr
