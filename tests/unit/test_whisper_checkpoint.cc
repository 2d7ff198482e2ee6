// Whisper checkpoints from scripts/make_tiny_whisper.py (fixture generate_whisper_checkpoints):
// config and generation config, every tensor by name in float32, float16, bfloat16 and sharded
// layouts, and a clear error naming the file and tensor for each way a folder can be broken.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "asr/checkpoint.h"
#include "core/half.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// LRE_TEST_WHISPER, else $LRE_TEST_MODELS/whisper, where ctest's generate_whisper_checkpoints writes.
std::string variant(const std::string& name) {
  const char* dir = std::getenv("LRE_TEST_WHISPER");
  const char* models = std::getenv("LRE_TEST_MODELS");
  EXPECT_TRUE(dir || models) << "LRE_TEST_MODELS is set by ctest (fixture generate_whisper_checkpoints)";
  return (dir ? std::string(dir) : std::string(models ? models : ".") + "/whisper") + "/" + name;
}

std::string error_of(const std::function<void()>& fn, ErrorCode code) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

#define LRE_EXPECT_CONTAINS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << (text) << "\n  lacks: " << (part)

std::vector<float> floats(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype()) {
      case DType::Float32: out[i] = t.data<float>()[i]; break;
      case DType::Float16: out[i] = half_to_float(t.data<uint16_t>()[i]); break;
      case DType::BFloat16: out[i] = bf16_to_float(t.data<uint16_t>()[i]); break;
      default: ADD_FAILURE() << "not a float tensor";
    }
  }
  return out;
}

TEST(WhisperCheckpoint, TinyMultilingualConfig) {
  WhisperCheckpoint ck = load_whisper_checkpoint(variant("tiny"));
  const WhisperConfig& c = ck.config();
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.encoder_layers, 2);
  EXPECT_EQ(c.decoder_layers, 2);
  EXPECT_EQ(c.encoder_attention_heads, 4);
  EXPECT_EQ(c.decoder_ffn_dim, 128);
  EXPECT_EQ(c.num_mel_bins, 80);
  EXPECT_EQ(c.vocab_size, 51865);
  EXPECT_EQ(c.max_source_positions, 1500);
  EXPECT_EQ(c.max_target_positions, 448);
  EXPECT_EQ(c.head_dim(), 16);
  EXPECT_TRUE(c.is_multilingual());
  EXPECT_EQ(c.eos_token_id, 50257);
  EXPECT_EQ(c.decoder_start_token_id, 50258);
  EXPECT_EQ(c.no_timestamps_token_id, 50363);
  EXPECT_EQ(c.prev_sot_token_id, 50361);
  EXPECT_EQ(c.max_initial_timestamp_index, 50);
  EXPECT_EQ(c.max_length, 448);
  EXPECT_EQ(c.lang_to_id.size(), 99u);
  EXPECT_EQ(c.lang_to_id.at("<|en|>"), 50259);
  EXPECT_EQ(c.lang_to_id.at("<|su|>"), 50357);
  EXPECT_EQ(c.task_to_id.at("transcribe"), 50359);
  EXPECT_EQ(c.task_to_id.at("translate"), 50358);
  // generation_config.json's [[1, null], [2, transcribe]] replaces config.json's three pairs.
  EXPECT_EQ(c.forced_decoder_ids, (std::vector<std::pair<int, int>>{{1, -1}, {2, 50359}}));
  EXPECT_EQ(c.begin_suppress_tokens, (std::vector<int>{220, 50257}));
  ASSERT_FALSE(c.suppress_tokens.empty());
  EXPECT_EQ(c.suppress_tokens[0], 1);  // '"', as in the real list
}

TEST(WhisperCheckpoint, TinyWeightsByName) {
  WhisperCheckpoint ck = load_whisper_checkpoint(variant("tiny"));
  EXPECT_EQ(ck.stored_dtype(), DType::Float32);
  EXPECT_FALSE(ck.has_own_proj_out());
  const auto shapes = whisper_tensor_shapes(ck.config());
  ASSERT_EQ(ck.names().size(), shapes.size());
  // 5 encoder stem tensors, 15 per encoder layer, 2 final norms; 2 embeddings, 24 per decoder
  // layer, 2 final norms; proj_out.
  EXPECT_EQ(shapes.size(), 5u + 2 * 15 + 2 + 2 + 2 * 24 + 2 + 1);

  auto w = ck.float32_weights();
  EXPECT_EQ(w.size(), shapes.size());
  for (const auto& [name, shape] : shapes) {
    ASSERT_TRUE(w.count(name)) << name;
    EXPECT_EQ(w[name].shape(), shape) << name;
    EXPECT_EQ(w[name].dtype(), DType::Float32) << name;
  }
  EXPECT_FALSE(w.count("model.encoder.layers.0.self_attn.k_proj.bias"));
  EXPECT_EQ(w["model.encoder.conv1.weight"].shape(), (Shape{64, 80, 3}));
  // float32 on disk: the weights are the mapped file itself, and proj_out is embed_tokens.
  EXPECT_EQ(w["model.decoder.embed_tokens.weight"].raw(), ck.stored("model.decoder.embed_tokens.weight").raw());
  EXPECT_EQ(w["proj_out.weight"].raw(), w["model.decoder.embed_tokens.weight"].raw());
  EXPECT_EQ(ck.file_of("proj_out.weight"), variant("tiny") + "/model.safetensors");

  // Whisper's sinusoids: channel i < 32 is sin(t * 10000^(-i/31)), channel 32 + i the cosine.
  const Tensor& pos = w["model.encoder.embed_positions.weight"];
  for (int t : {0, 1, 7, 1499})
    for (int i : {0, 5, 31}) {
      const double angle = t * std::exp(-std::log(10000.0) / 31 * i);
      EXPECT_NEAR(pos.data<float>()[t * 64 + i], std::sin(angle), 1e-6) << t << "," << i;
      EXPECT_NEAR(pos.data<float>()[t * 64 + 32 + i], std::cos(angle), 1e-6) << t << "," << i;
    }
  // Layer norms start near one, the rest near zero.
  auto ln = floats(w["model.decoder.layers.1.final_layer_norm.weight"]);
  for (float v : ln) EXPECT_NEAR(v, 1.0f, 0.15f);
  auto fc = floats(w["model.decoder.layers.1.fc2.weight"]);
  double sum_sq = 0;
  for (float v : fc) sum_sq += v * v;
  EXPECT_NEAR(std::sqrt(sum_sq / fc.size()), 0.02, 0.003);
}

TEST(WhisperCheckpoint, Float16MatchesFloat32Rounded) {
  WhisperCheckpoint f32 = load_whisper_checkpoint(variant("tiny"));
  WhisperCheckpoint f16 = load_whisper_checkpoint(variant("tiny-fp16"));
  EXPECT_EQ(f16.stored_dtype(), DType::Float16);
  auto a = f32.float32_weights();
  auto b = f16.float32_weights();
  auto stored = f16.stored_weights();
  for (const std::string& name : {std::string("model.encoder.conv2.weight"), std::string("model.decoder.embed_tokens.weight"),
                                  std::string("model.decoder.layers.0.encoder_attn.v_proj.bias")}) {
    EXPECT_EQ(stored[name].dtype(), DType::Float16);
    auto x = floats(a[name]), y = floats(b[name]);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(half_to_float(float_to_half(x[i])), y[i]) << name << "[" << i << "]";
  }
  // Tied tensors are converted once and shared.
  EXPECT_EQ(b["proj_out.weight"].raw(), b["model.decoder.embed_tokens.weight"].raw());
  // The run precision of the GPU: the stored half tensor itself.
  EXPECT_EQ(f16.converted("model.encoder.conv1.bias", DType::Float16).raw(), stored["model.encoder.conv1.bias"].raw());
  EXPECT_THROW(f16.converted("model.encoder.conv1.bias", DType::Int32), Error);
}

TEST(WhisperCheckpoint, ShardedWithItsOwnProjOut) {
  WhisperCheckpoint sharded = load_whisper_checkpoint(variant("tiny-sharded"));
  WhisperCheckpoint single = load_whisper_checkpoint(variant("tiny"));
  EXPECT_TRUE(sharded.has_own_proj_out());
  EXPECT_EQ(fs::path(sharded.file_of("model.encoder.conv1.weight")).filename(), "model-00001-of-00003.safetensors");
  EXPECT_EQ(fs::path(sharded.file_of("proj_out.weight")).filename(), "model-00003-of-00003.safetensors");
  auto a = sharded.float32_weights();
  auto b = single.float32_weights();
  EXPECT_NE(a["proj_out.weight"].raw(), a["model.decoder.embed_tokens.weight"].raw());
  // Same seed, same order of draws: the shared tensors are identical.
  for (const std::string& name : single.names()) {
    if (name == "proj_out.weight") continue;
    EXPECT_EQ(floats(a[name]), floats(b[name])) << name;
  }
}

TEST(WhisperCheckpoint, EnglishOnly) {
  WhisperCheckpoint ck = load_whisper_checkpoint(variant("tiny-en"));
  const WhisperConfig& c = ck.config();
  EXPECT_EQ(c.vocab_size, 51864);
  EXPECT_FALSE(c.is_multilingual());
  EXPECT_EQ(c.eos_token_id, 50256);
  EXPECT_EQ(c.decoder_start_token_id, 50257);
  EXPECT_EQ(c.no_timestamps_token_id, 50362);
  EXPECT_TRUE(c.lang_to_id.empty());
  EXPECT_EQ(ck.stored("proj_out.weight").shape(), (Shape{51864, 64}));
}

TEST(WhisperCheckpoint, LargeV3LayoutInBFloat16WithoutModelPrefix) {
  WhisperCheckpoint ck = load_whisper_checkpoint(variant("tiny-v3"));
  const WhisperConfig& c = ck.config();
  EXPECT_EQ(c.num_mel_bins, 128);
  EXPECT_EQ(c.vocab_size, 51866);
  EXPECT_EQ(c.lang_to_id.size(), 100u);
  EXPECT_EQ(c.lang_to_id.at("<|yue|>"), 50358);
  EXPECT_EQ(c.no_timestamps_token_id, 50364);
  EXPECT_EQ(ck.stored_dtype(), DType::BFloat16);
  // Saved from WhisperModel: "encoder.conv1.weight" in the file, the usual name here.
  EXPECT_EQ(ck.stored("model.encoder.conv1.weight").shape(), (Shape{64, 128, 3}));
  auto half = ck.weights(DType::Float16);
  auto bf = ck.stored_weights();
  auto x = floats(bf["model.decoder.layers.1.self_attn.q_proj.weight"]);
  auto y = floats(half["model.decoder.layers.1.self_attn.q_proj.weight"]);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(half_to_float(float_to_half(x[i])), y[i]);
}

// A writable copy of the tiny checkpoint; the weights are linked, not copied, unless replaced.
class BrokenCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("lre_whisper_ck_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(variant("tiny"))) {
      if (e.path().extension() == ".safetensors") fs::create_symlink(fs::absolute(e.path()), dir_ / e.path().filename());
      else fs::copy_file(e.path(), dir_ / e.path().filename());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  json read(const std::string& file) {
    std::ifstream in(dir_ / file);
    return json::parse(in);
  }
  void write(const std::string& file, const std::string& text) { std::ofstream(dir_ / file) << text; }
  std::string load_error(ErrorCode code = ErrorCode::InvalidModel) {
    return error_of([&] { WhisperCheckpoint::load(dir_.string()); }, code);
  }
  // Rewrites model.safetensors through `edit`, which may drop or replace entries.
  void rewrite_weights(const std::function<void(std::map<std::string, Tensor>&)>& edit) {
    SafetensorsFile src(variant("tiny") + "/model.safetensors");
    std::map<std::string, Tensor> tensors;
    for (const std::string& n : src.names()) tensors[n] = src.tensor(n);
    edit(tensors);
    json header = json::object();
    std::string data;
    for (const auto& [n, t] : tensors) {
      header[n] = {{"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {data.size(), data.size() + t.nbytes()}}};
      data.append(static_cast<const char*>(t.raw()), t.nbytes());
    }
    std::string text = header.dump();
    uint64_t n = text.size();
    fs::remove(dir_ / "model.safetensors");
    std::ofstream out(dir_ / "model.safetensors", std::ios::binary);
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << text << data;
  }

  fs::path dir_;
};

TEST_F(BrokenCheckpoint, IntactCopyLoads) { EXPECT_NO_THROW(WhisperCheckpoint::load(dir_.string())); }

TEST_F(BrokenCheckpoint, MissingFolderOrFiles) {
  std::string msg = error_of([&] { WhisperCheckpoint::load((dir_ / "nope").string()); }, ErrorCode::Io);
  LRE_EXPECT_CONTAINS(msg, "nope");
  fs::remove(dir_ / "config.json");
  msg = load_error(ErrorCode::Io);
  LRE_EXPECT_CONTAINS(msg, "config.json");
  LRE_EXPECT_CONTAINS(msg, dir_.string());
}

TEST_F(BrokenCheckpoint, MissingWeightsFile) {
  fs::remove(dir_ / "model.safetensors");
  std::string msg = load_error(ErrorCode::Io);
  LRE_EXPECT_CONTAINS(msg, "model.safetensors");
  write("pytorch_model.bin", "");
  LRE_EXPECT_CONTAINS(load_error(ErrorCode::Io), "pytorch_model.bin");
}

TEST_F(BrokenCheckpoint, MissingTensorIsNamed) {
  rewrite_weights([](auto& t) { t.erase("model.decoder.layers.1.fc2.bias"); });
  std::string msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "model.safetensors");
  LRE_EXPECT_CONTAINS(msg, "model.decoder.layers.1.fc2.bias");
  LRE_EXPECT_CONTAINS(msg, "[64]");
}

TEST_F(BrokenCheckpoint, WrongShapeNamesFileAndTensor) {
  rewrite_weights([](auto& t) {
    t["model.encoder.layers.0.self_attn.v_proj.weight"] = Tensor(DType::Float32, {64, 32});
  });
  std::string msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "model.safetensors");
  LRE_EXPECT_CONTAINS(msg, "model.encoder.layers.0.self_attn.v_proj.weight");
  LRE_EXPECT_CONTAINS(msg, "[64, 32]");
  LRE_EXPECT_CONTAINS(msg, "expected [64, 64]");
}

TEST_F(BrokenCheckpoint, ConfigThatDisagreesWithTheWeights) {
  json c = read("config.json");
  c["decoder_ffn_dim"] = 96;
  write("config.json", c.dump());
  std::string msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "model.decoder.layers.0.fc1.weight");
  LRE_EXPECT_CONTAINS(msg, "expected [96, 64]");

  c["decoder_ffn_dim"] = 128;
  c["decoder_layers"] = 1;
  write("config.json", c.dump());
  msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "model.decoder.layers.1.");
  LRE_EXPECT_CONTAINS(msg, "decoder_layers = 1");
}

TEST_F(BrokenCheckpoint, BadConfigValues) {
  json c = read("config.json");
  json bad = c;
  bad["d_model"] = "wide";
  write("config.json", bad.dump());
  std::string msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "config.json");
  LRE_EXPECT_CONTAINS(msg, "d_model");

  bad = c;
  bad["decoder_attention_heads"] = 5;
  write("config.json", bad.dump());
  LRE_EXPECT_CONTAINS(load_error(), "not divisible by decoder_attention_heads 5");

  bad = c;
  bad["model_type"] = "bert";
  write("config.json", bad.dump());
  LRE_EXPECT_CONTAINS(load_error(), "\"whisper\"");

  write("config.json", "{\"d_model\": ");
  LRE_EXPECT_CONTAINS(load_error(), "not valid JSON");
}

TEST_F(BrokenCheckpoint, GenerationConfigIsOptionalButChecked) {
  json g = read("generation_config.json");
  g["lang_to_id"] = json::array({1, 2});
  write("generation_config.json", g.dump());
  std::string msg = load_error();
  LRE_EXPECT_CONTAINS(msg, "generation_config.json");
  LRE_EXPECT_CONTAINS(msg, "lang_to_id");

  fs::remove(dir_ / "generation_config.json");
  WhisperConfig c = load_whisper_config(dir_.string());
  // config.json alone: its forced ids and suppress lists stand, the generation-only keys are unset.
  EXPECT_EQ(c.forced_decoder_ids, (std::vector<std::pair<int, int>>{{1, 50259}, {2, 50359}, {3, 50363}}));
  EXPECT_EQ(c.no_timestamps_token_id, -1);
  EXPECT_TRUE(c.lang_to_id.empty());
  EXPECT_FALSE(c.suppress_tokens.empty());
  EXPECT_TRUE(c.is_multilingual());
}

}  // namespace
}  // namespace lre::asr
