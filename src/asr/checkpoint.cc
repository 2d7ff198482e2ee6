// Config parsing follows transformers' WhisperConfig (absent keys take its defaults, which
// WhisperConfig's member initialisers repeat) and GenerationConfig (generation_config.json wins over
// config.json). Weights are checked against the config before any model code sees them.
#include "asr/checkpoint.h"

#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "asr/json_file.h"
#include "kernels/cpu/cast.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Typed access to one JSON object; every error names the file and the key. A key that is absent
// or null leaves the target untouched, as transformers treats both as "not set".
class Keys {
 public:
  Keys(const json& j, std::string file) : j_(j), file_(std::move(file)) {
    if (!j_.is_object()) throw Error(ErrorCode::InvalidModel, file_ + ": expected a JSON object");
  }

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }

  int to_int(const json& v, const char* key) const {
    if (!v.is_number_integer() || v.get<int64_t>() < std::numeric_limits<int>::min() ||
        v.get<int64_t>() > std::numeric_limits<int>::max())
      bad(key, v, "an integer");
    return v.get<int>();
  }

  void get(const char* key, int& out) const {
    if (const json* v = find(key)) out = to_int(*v, key);
  }
  void get(const char* key, bool& out) const {
    if (const json* v = find(key)) {
      if (!v->is_boolean()) bad(key, *v, "true or false");
      out = v->get<bool>();
    }
  }
  void get(const char* key, std::string& out) const {
    if (const json* v = find(key)) {
      if (!v->is_string()) bad(key, *v, "a string");
      out = v->get<std::string>();
    }
  }
  void get(const char* key, std::vector<int>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_array()) bad(key, *v, "a list of token ids");
      out.clear();
      for (const json& e : *v) out.push_back(to_int(e, key));
    }
  }
  void get(const char* key, std::map<std::string, int>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_object()) bad(key, *v, "an object of token ids");
      out.clear();
      for (const auto& [k, e] : v->items()) out[k] = to_int(e, key);
    }
  }
  // eos_token_id may be one id or a list of them; the first is <|endoftext|>.
  void get_first(const char* key, int& out) const {
    if (const json* v = find(key)) {
      if (v->is_array()) {
        if (v->empty()) bad(key, *v, "a token id or a non-empty list of them");
        out = to_int((*v)[0], key);
      } else {
        out = to_int(*v, key);
      }
    }
  }
  void get(const char* key, std::vector<std::pair<int, int>>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_array()) bad(key, *v, "a list of [position, token] pairs");
      out.clear();
      for (const json& e : *v) {
        if (!e.is_array() || e.size() != 2) bad(key, *v, "a list of [position, token] pairs");
        out.emplace_back(to_int(e[0], key), e[1].is_null() ? -1 : to_int(e[1], key));
      }
    }
  }

  [[noreturn]] void bad(const char* key, const json& v, const char* want) const {
    std::string got = v.dump();
    if (got.size() > 80) got = got.substr(0, 80) + "...";
    throw Error(ErrorCode::InvalidModel, file_ + ": \"" + key + "\" is " + got + ", expected " + want);
  }

 private:
  const json& j_;
  std::string file_;
};

void read_generation_keys(const Keys& k, WhisperConfig& c) {
  k.get("pad_token_id", c.pad_token_id);
  k.get("bos_token_id", c.bos_token_id);
  k.get_first("eos_token_id", c.eos_token_id);
  k.get("decoder_start_token_id", c.decoder_start_token_id);
  k.get("suppress_tokens", c.suppress_tokens);
  k.get("begin_suppress_tokens", c.begin_suppress_tokens);
  k.get("forced_decoder_ids", c.forced_decoder_ids);
  k.get("max_length", c.max_length);
}

void check_config(const WhisperConfig& c, const std::string& file) {
  auto positive = [&](const char* key, int v) {
    if (v <= 0) throw Error(ErrorCode::InvalidModel, file + ": \"" + key + "\" is " + std::to_string(v) + ", expected > 0");
  };
  positive("num_mel_bins", c.num_mel_bins);
  positive("vocab_size", c.vocab_size);
  positive("d_model", c.d_model);
  positive("encoder_layers", c.encoder_layers);
  positive("encoder_attention_heads", c.encoder_attention_heads);
  positive("encoder_ffn_dim", c.encoder_ffn_dim);
  positive("decoder_layers", c.decoder_layers);
  positive("decoder_attention_heads", c.decoder_attention_heads);
  positive("decoder_ffn_dim", c.decoder_ffn_dim);
  positive("max_source_positions", c.max_source_positions);
  positive("max_target_positions", c.max_target_positions);
  for (auto [key, heads] : {std::pair{"encoder_attention_heads", c.encoder_attention_heads},
                            std::pair{"decoder_attention_heads", c.decoder_attention_heads}})
    if (c.d_model % heads != 0)
      throw Error(ErrorCode::InvalidModel, file + ": d_model " + std::to_string(c.d_model) + " is not divisible by " +
                                               key + " " + std::to_string(heads));
  auto token = [&](const char* key, int id) {
    if (id < 0 || id >= c.vocab_size)
      throw Error(ErrorCode::InvalidModel, file + ": \"" + key + "\" is " + std::to_string(id) +
                                               ", outside the vocabulary of " + std::to_string(c.vocab_size));
  };
  token("eos_token_id", c.eos_token_id);
  token("decoder_start_token_id", c.decoder_start_token_id);
}

void check_layer_index(const std::string& name, const std::string& prefix, int layers, const char* key,
                       const std::string& file) {
  if (name.compare(0, prefix.size(), prefix) != 0) return;
  size_t end = name.find('.', prefix.size());
  const std::string digits = name.substr(prefix.size(), end - prefix.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return;
  if (digits.size() > 6 || std::stoi(digits) >= layers)
    throw Error(ErrorCode::InvalidModel, file + " holds " + name + " but config.json says " + key + " = " +
                                             std::to_string(layers) + ": the checkpoint and its config disagree");
}

}  // namespace

WhisperConfig load_whisper_config(const std::string& dir) {
  const std::string config_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(config_path))
    throw Error(ErrorCode::Io, dir + ": no config.json (expected a Hugging Face Whisper folder: config.json, "
                                     "model.safetensors, tokenizer files)");
  const json cj = read_json(config_path);
  const Keys k(cj, config_path);
  std::string model_type = "whisper";
  k.get("model_type", model_type);
  if (model_type != "whisper")
    throw Error(ErrorCode::InvalidModel, config_path + ": model_type is \"" + model_type + "\", expected \"whisper\"");

  WhisperConfig c;
  c.max_length = -1;
  k.get("num_mel_bins", c.num_mel_bins);
  k.get("vocab_size", c.vocab_size);
  k.get("d_model", c.d_model);
  k.get("encoder_layers", c.encoder_layers);
  k.get("encoder_attention_heads", c.encoder_attention_heads);
  k.get("encoder_ffn_dim", c.encoder_ffn_dim);
  k.get("decoder_layers", c.decoder_layers);
  k.get("decoder_attention_heads", c.decoder_attention_heads);
  k.get("decoder_ffn_dim", c.decoder_ffn_dim);
  k.get("max_source_positions", c.max_source_positions);
  k.get("max_target_positions", c.max_target_positions);
  k.get("scale_embedding", c.scale_embedding);
  k.get("activation_function", c.activation_function);
  read_generation_keys(k, c);

  const std::string gen_path = (fs::path(dir) / "generation_config.json").string();
  if (fs::exists(gen_path)) {
    const json gj = read_json(gen_path);
    const Keys g(gj, gen_path);
    read_generation_keys(g, c);
    g.get("lang_to_id", c.lang_to_id);
    g.get("task_to_id", c.task_to_id);
    g.get("no_timestamps_token_id", c.no_timestamps_token_id);
    g.get("prev_sot_token_id", c.prev_sot_token_id);
    g.get("max_initial_timestamp_index", c.max_initial_timestamp_index);
    bool multilingual = false;
    if (g.find("is_multilingual")) {
      g.get("is_multilingual", multilingual);
      c.multilingual = multilingual ? 1 : 0;
    }
  }
  if (c.max_length < 0) c.max_length = c.max_target_positions;
  check_config(c, config_path);
  return c;
}

std::vector<std::pair<std::string, Shape>> whisper_tensor_shapes(const WhisperConfig& c) {
  const int64_t d = c.d_model;
  std::vector<std::pair<std::string, Shape>> out;
  auto linear = [&](const std::string& p, int64_t o, int64_t i, bool bias) {
    out.emplace_back(p + ".weight", Shape{o, i});
    if (bias) out.emplace_back(p + ".bias", Shape{o});
  };
  auto norm = [&](const std::string& p) {
    out.emplace_back(p + ".weight", Shape{d});
    out.emplace_back(p + ".bias", Shape{d});
  };
  auto attention = [&](const std::string& p) {
    linear(p + ".q_proj", d, d, true);
    linear(p + ".k_proj", d, d, false);  // Whisper's key projection has no bias
    linear(p + ".v_proj", d, d, true);
    linear(p + ".out_proj", d, d, true);
  };
  auto mlp = [&](const std::string& p, int64_t ffn) {
    linear(p + ".fc1", ffn, d, true);
    linear(p + ".fc2", d, ffn, true);
  };

  out.emplace_back("model.encoder.conv1.weight", Shape{d, c.num_mel_bins, 3});
  out.emplace_back("model.encoder.conv1.bias", Shape{d});
  out.emplace_back("model.encoder.conv2.weight", Shape{d, d, 3});
  out.emplace_back("model.encoder.conv2.bias", Shape{d});
  out.emplace_back("model.encoder.embed_positions.weight", Shape{c.max_source_positions, d});
  for (int l = 0; l < c.encoder_layers; ++l) {
    const std::string p = "model.encoder.layers." + std::to_string(l);
    attention(p + ".self_attn");
    norm(p + ".self_attn_layer_norm");
    mlp(p, c.encoder_ffn_dim);
    norm(p + ".final_layer_norm");
  }
  norm("model.encoder.layer_norm");

  out.emplace_back("model.decoder.embed_tokens.weight", Shape{c.vocab_size, d});
  out.emplace_back("model.decoder.embed_positions.weight", Shape{c.max_target_positions, d});
  for (int l = 0; l < c.decoder_layers; ++l) {
    const std::string p = "model.decoder.layers." + std::to_string(l);
    attention(p + ".self_attn");
    norm(p + ".self_attn_layer_norm");
    attention(p + ".encoder_attn");
    norm(p + ".encoder_attn_layer_norm");
    mlp(p, c.decoder_ffn_dim);
    norm(p + ".final_layer_norm");
  }
  norm("model.decoder.layer_norm");
  out.emplace_back("proj_out.weight", Shape{c.vocab_size, d});
  return out;
}

WhisperCheckpoint WhisperCheckpoint::load(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(ErrorCode::Io, dir + " is not a folder (expected a Hugging Face Whisper checkpoint)");
  WhisperCheckpoint ck;
  ck.dir_ = dir;
  ck.config_ = load_whisper_config(dir);

  const fs::path single = fs::path(dir) / "model.safetensors";
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single)) {
    ck.tensors_ = SafetensorsSet::open_file(single.string());
  } else if (fs::exists(index)) {
    ck.tensors_ = SafetensorsSet::open_index(index.string());
  } else {
    std::string hint = fs::exists(fs::path(dir) / "pytorch_model.bin")
                           ? " (pytorch_model.bin is not read: save the model with safe_serialization=True)"
                           : "";
    throw Error(ErrorCode::Io, dir + ": no model.safetensors or model.safetensors.index.json" + hint);
  }

  // Checkpoints saved from WhisperModel rather than WhisperForConditionalGeneration lack "model.".
  for (const std::string& name : ck.tensors_.names()) {
    const bool bare = name.rfind("encoder.", 0) == 0 || name.rfind("decoder.", 0) == 0;
    const std::string ours = bare ? "model." + name : name;
    if (bare && ck.tensors_.contains(ours)) continue;
    ck.stored_names_[ours] = name;
    check_layer_index(ours, "model.encoder.layers.", ck.config_.encoder_layers, "encoder_layers", ck.tensors_.file_of(name));
    check_layer_index(ours, "model.decoder.layers.", ck.config_.decoder_layers, "decoder_layers", ck.tensors_.file_of(name));
  }
  ck.own_proj_out_ = ck.stored_names_.count("proj_out.weight") != 0;
  if (!ck.own_proj_out_ && ck.stored_names_.count("model.decoder.embed_tokens.weight"))
    ck.stored_names_["proj_out.weight"] = ck.stored_names_["model.decoder.embed_tokens.weight"];

  const WhisperConfig& c = ck.config_;
  const std::string shape_note = " (config.json: d_model " + std::to_string(c.d_model) + ", num_mel_bins " +
                                 std::to_string(c.num_mel_bins) + ", vocab_size " + std::to_string(c.vocab_size) +
                                 ", encoder_ffn_dim " + std::to_string(c.encoder_ffn_dim) + ", decoder_ffn_dim " +
                                 std::to_string(c.decoder_ffn_dim) + ", max_source_positions " +
                                 std::to_string(c.max_source_positions) + ", max_target_positions " +
                                 std::to_string(c.max_target_positions) + ")";
  for (const auto& [name, shape] : whisper_tensor_shapes(c)) {
    auto it = ck.stored_names_.find(name);
    if (it == ck.stored_names_.end())
      throw Error(ErrorCode::InvalidModel, ck.tensors_.source() + ": missing tensor " + name + " (expected shape " +
                                               shape_to_string(shape) + ")");
    const SafetensorsEntry& e = ck.tensors_.entry(it->second);
    if (!dtype_is_float(e.dtype))
      throw Error(ErrorCode::InvalidModel, ck.tensors_.file_of(it->second) + ": tensor " + it->second + " is " +
                                               e.dtype_name + ", expected a floating-point dtype (F32, F16, BF16)");
    if (e.shape != shape)
      throw Error(ErrorCode::InvalidModel, ck.tensors_.file_of(it->second) + ": tensor " + it->second + " has shape " +
                                               shape_to_string(e.shape) + ", expected " + shape_to_string(shape) +
                                               shape_note);
    ck.names_.push_back(name);
  }
  return ck;
}

const std::string& WhisperCheckpoint::stored_name(const std::string& name) const {
  auto it = stored_names_.find(name);
  if (it == stored_names_.end())
    throw Error(ErrorCode::InvalidArgument, dir_ + ": the checkpoint has no tensor " + name);
  return it->second;
}

DType WhisperCheckpoint::stored_dtype() const {
  return tensors_.entry(stored_name("model.decoder.embed_tokens.weight")).dtype;
}

const std::string& WhisperCheckpoint::file_of(const std::string& name) const {
  return tensors_.file_of(stored_name(name));
}

Tensor WhisperCheckpoint::stored(const std::string& name) const { return tensors_.tensor(stored_name(name)); }

Tensor WhisperCheckpoint::converted(const std::string& name, DType dtype) const {
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16)
    throw Error(ErrorCode::InvalidArgument, std::string("Whisper weights convert to float32, float16 or bfloat16, not ") +
                                                dtype_name(dtype));
  Tensor view = stored(name);
  if (view.dtype() == dtype) return view;
  Tensor out(dtype, view.shape());
  cpu::cast(view.raw(), view.dtype(), out.raw(), dtype, view.numel(), nullptr);
  return out;
}

std::unordered_map<std::string, Tensor> WhisperCheckpoint::stored_weights() const {
  std::unordered_map<std::string, Tensor> out;
  for (const std::string& name : names_) out.emplace(name, stored(name));
  return out;
}

std::unordered_map<std::string, Tensor> WhisperCheckpoint::weights(DType dtype) const {
  std::unordered_map<std::string, Tensor> by_stored_name;
  std::unordered_map<std::string, Tensor> out;
  for (const std::string& name : names_) {
    const std::string& from = stored_name(name);
    auto it = by_stored_name.find(from);
    if (it == by_stored_name.end()) it = by_stored_name.emplace(from, converted(name, dtype)).first;
    out.emplace(name, it->second);
  }
  return out;
}

}  // namespace lre::asr
