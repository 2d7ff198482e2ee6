// Hugging Face Whisper checkpoints as users have them: a folder with config.json,
// generation_config.json and model.safetensors (or shards listed by model.safetensors.index.json).
// Every tensor the model reads is checked for presence and shape against the config when loading.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "asr/safetensors.h"
#include "asr/whisper_config.h"
#include "lre/tensor.h"

namespace lre::asr {

// config.json, then generation_config.json (when present) on top of it, as transformers does:
// a key generation_config.json lacks keeps its config.json value.
WhisperConfig load_whisper_config(const std::string& dir);

// Every tensor a Whisper model of this shape reads, by Hugging Face name with the "model." prefix,
// in a fixed order (encoder, decoder, proj_out), with its shape.
std::vector<std::pair<std::string, Shape>> whisper_tensor_shapes(const WhisperConfig& config);

class WhisperCheckpoint {
 public:
  // Maps the weights and validates them; throws lre::Error naming the file and tensor at fault.
  static WhisperCheckpoint load(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const WhisperConfig& config() const { return config_; }
  // The names of whisper_tensor_shapes(config()), in that order.
  const std::vector<std::string>& names() const { return names_; }
  // The dtype embed_tokens is stored in: what the checkpoint was saved as.
  DType stored_dtype() const;
  // False when proj_out.weight is absent and shares embed_tokens, as Whisper ties them.
  bool has_own_proj_out() const { return own_proj_out_; }
  // The file holding `name` (for proj_out.weight when tied: the one holding embed_tokens).
  const std::string& file_of(const std::string& name) const;

  // A read-only view of the memory-mapped tensor in its stored dtype.
  Tensor stored(const std::string& name) const;
  // `name` as float32, float16 or bfloat16 host memory; the view itself when already stored so.
  Tensor converted(const std::string& name, DType dtype) const;

  // Every tensor of names(), keyed by name. Tied tensors share one conversion.
  std::unordered_map<std::string, Tensor> stored_weights() const;
  std::unordered_map<std::string, Tensor> weights(DType dtype) const;
  // What the CPU model runs on.
  std::unordered_map<std::string, Tensor> float32_weights() const { return weights(DType::Float32); }

 private:
  const std::string& stored_name(const std::string& name) const;

  std::string dir_;
  WhisperConfig config_;
  SafetensorsSet tensors_;
  std::vector<std::string> names_;
  // Our name -> the name in the files: the same, or without "model." for checkpoints saved from
  // WhisperModel, or embed_tokens for a tied proj_out.
  std::unordered_map<std::string, std::string> stored_names_;
  bool own_proj_out_ = false;
};

inline WhisperCheckpoint load_whisper_checkpoint(const std::string& dir) { return WhisperCheckpoint::load(dir); }

}  // namespace lre::asr
