// The safetensors reader on files written here byte by byte: every dtype round trips, views outlive
// the reader, shards resolve through an index, and each kind of damage is an lre::Error naming the
// file and the tensor rather than a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "asr/safetensors.h"
#include "core/half.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Spec {
  std::string name;
  std::string dtype;
  Shape shape;
  std::string bytes;
};

template <typename T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string with_header(const std::string& header, const std::string& data) {
  uint64_t n = header.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + header + data;
}

// The format as the Python library writes it: u64 header length, JSON padded with spaces to
// `align`, then the tensors' bytes back to back.
std::string safetensors_bytes(const std::vector<Spec>& specs, size_t align = 8) {
  json header = json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const Spec& s : specs) {
    header[s.name] = {{"dtype", s.dtype}, {"shape", s.shape}, {"data_offsets", {data.size(), data.size() + s.bytes.size()}}};
    data += s.bytes;
  }
  std::string text = header.dump();
  while (text.size() % align) text += ' ';
  return with_header(text, data);
}

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("lre_safetensors_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
    return path;
  }

  fs::path dir_;
};

// Runs fn, which must throw lre::Error with `code` and a message holding every one of `parts`.
void expect_error(const std::function<void()>& fn, ErrorCode code, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST_F(Safetensors, EveryDtypeRoundTrips) {
  std::vector<Spec> specs = {
      {"f64", "F64", {2}, raw(std::vector<double>{1.5, -2.25})},
      {"f32", "F32", {2, 3}, raw(std::vector<float>{0, 1, -2, 3.5f, 1e-8f, 65504})},
      {"f16", "F16", {3}, raw(std::vector<uint16_t>{float_to_half(1.0f), float_to_half(-0.5f), float_to_half(65504.0f)})},
      {"bf16", "BF16", {2}, raw(std::vector<uint16_t>{float_to_bf16(3.0f), float_to_bf16(-1e30f)})},
      {"i64", "I64", {2}, raw(std::vector<int64_t>{-(int64_t{1} << 40), 7})},
      {"i32", "I32", {1}, raw(std::vector<int32_t>{-5})},
      {"i16", "I16", {2}, raw(std::vector<int16_t>{-300, 300})},
      {"i8", "I8", {3}, raw(std::vector<int8_t>{-128, 0, 127})},
      {"u64", "U64", {1}, raw(std::vector<uint64_t>{~uint64_t{0}})},
      {"u32", "U32", {1}, raw(std::vector<uint32_t>{4000000000u})},
      {"u16", "U16", {1}, raw(std::vector<uint16_t>{65535})},
      {"u8", "U8", {2}, raw(std::vector<uint8_t>{0, 255})},
      {"bool", "BOOL", {2}, raw(std::vector<uint8_t>{1, 0})},
      {"scalar", "F32", {}, raw(std::vector<float>{42})},
      {"empty", "F32", {0, 3}, ""},
  };
  const std::string path = write("all.safetensors", safetensors_bytes(specs));
  std::vector<Tensor> views;
  {
    SafetensorsFile f(path);
    EXPECT_EQ(f.names().size(), specs.size());
    EXPECT_FALSE(f.contains("__metadata__"));
    for (const Spec& s : specs) {
      ASSERT_TRUE(f.contains(s.name)) << s.name;
      EXPECT_EQ(f.entry(s.name).dtype_name, s.dtype);
      views.push_back(f.tensor(s.name));
    }
  }
  // The reader is gone; the views keep the mapping alive.
  const DType want[] = {DType::Float64, DType::Float32, DType::Float16, DType::BFloat16, DType::Int64,
                        DType::Int32,   DType::Int16,   DType::Int8,    DType::UInt64,  DType::UInt32,
                        DType::UInt16,  DType::UInt8,   DType::Bool,    DType::Float32, DType::Float32};
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(views[i].dtype(), want[i]) << specs[i].name;
    EXPECT_EQ(views[i].shape(), specs[i].shape) << specs[i].name;
    ASSERT_EQ(views[i].nbytes(), specs[i].bytes.size()) << specs[i].name;
    EXPECT_EQ(std::memcmp(views[i].raw(), specs[i].bytes.data(), specs[i].bytes.size()), 0) << specs[i].name;
  }
  EXPECT_EQ(half_to_float(views[2].data<uint16_t>()[1]), -0.5f);
  EXPECT_EQ(bf16_to_float(views[3].data<uint16_t>()[0]), 3.0f);
  EXPECT_EQ(views[13].data<float>()[0], 42.0f);
}

TEST_F(Safetensors, MisalignedDataIsCopiedIntoAlignedMemory) {
  // A header padded to an odd length puts the float32 data at an odd address in the mapping.
  std::vector<float> values{1.0f, 2.0f, 3.0f};
  json header = {{"x", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 12}}}}};
  std::string text = header.dump() + "   ";
  if (text.size() % 2 == 0) text += ' ';
  SafetensorsFile f(write("odd.safetensors", with_header(text, raw(values))));
  Tensor t = f.tensor("x");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % alignof(float), 0u);
  EXPECT_EQ(std::vector<float>(t.span<float>().begin(), t.span<float>().end()), values);
}

TEST_F(Safetensors, MissingAndTooShortFiles) {
  const std::string missing = (dir_ / "nope.safetensors").string();
  expect_error([&] { SafetensorsFile f(missing); }, ErrorCode::Io, {missing});
  const std::string empty = write("empty.safetensors", "");
  expect_error([&] { SafetensorsFile f(empty); }, ErrorCode::InvalidModel, {empty, "0 bytes"});
  const std::string short_file = write("short.safetensors", "abcde");
  expect_error([&] { SafetensorsFile f(short_file); }, ErrorCode::InvalidModel, {short_file, "5 bytes"});
  expect_error([&] { SafetensorsFile f(dir_.string()); }, ErrorCode::Io, {dir_.string()});
}

TEST_F(Safetensors, CorruptHeaders) {
  std::string huge(8, '\xff');
  const std::string p1 = write("huge_len.safetensors", huge + "{}");
  expect_error([&] { SafetensorsFile f(p1); }, ErrorCode::InvalidModel, {p1, "header length"});
  uint64_t n = 1000;
  const std::string p2 = write("long_len.safetensors", std::string(reinterpret_cast<const char*>(&n), 8) + "{}");
  expect_error([&] { SafetensorsFile f(p2); }, ErrorCode::InvalidModel, {p2, "header length 1000", "truncated"});
  const std::string p3 = write("not_json.safetensors", with_header("{\"a\": [1, 2", ""));
  expect_error([&] { SafetensorsFile f(p3); }, ErrorCode::InvalidModel, {p3, "not valid JSON"});
  const std::string p4 = write("array.safetensors", with_header("[1, 2]", ""));
  expect_error([&] { SafetensorsFile f(p4); }, ErrorCode::InvalidModel, {p4, "not a JSON object"});
  const std::string p5 = write("no_dtype.safetensors", with_header(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "abcd"));
  expect_error([&] { SafetensorsFile f(p5); }, ErrorCode::InvalidModel, {p5, "'w'", "dtype"});
  const std::string p6 = write("neg_shape.safetensors",
                               with_header(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", "abcd"));
  expect_error([&] { SafetensorsFile f(p6); }, ErrorCode::InvalidModel, {p6, "'w'", "shape"});
  const std::string p7 = write("no_offsets.safetensors", with_header(R"({"w": {"dtype": "F32", "shape": [1]}})", "abcd"));
  expect_error([&] { SafetensorsFile f(p7); }, ErrorCode::InvalidModel, {p7, "'w'", "data_offsets"});
  const std::string p8 = write("entry_not_object.safetensors", with_header(R"({"w": 3})", ""));
  expect_error([&] { SafetensorsFile f(p8); }, ErrorCode::InvalidModel, {p8, "'w'"});
}

TEST_F(Safetensors, UnknownDtypeNamesTheTensor) {
  const std::string p = write("fp8.safetensors", safetensors_bytes({{"scales", "F8_E4M3", {4}, "abcd"}}));
  expect_error([&] { SafetensorsFile f(p); }, ErrorCode::Unsupported, {p, "'scales'", "F8_E4M3"});
}

TEST_F(Safetensors, TruncatedDataNamesTheTensor) {
  std::string bytes = safetensors_bytes({{"a", "F32", {4}, raw(std::vector<float>(4, 1.0f))},
                                         {"b", "F32", {256}, raw(std::vector<float>(256, 2.0f))}});
  const std::string p = write("cut.safetensors", bytes.substr(0, bytes.size() - 100));
  expect_error([&] { SafetensorsFile f(p); }, ErrorCode::InvalidModel, {p, "'b'", "truncated"});
}

TEST_F(Safetensors, SizeThatDisagreesWithTheShape) {
  const std::string p = write("size.safetensors", with_header(
      R"({"w": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 8]}})", std::string(8, '\0')));
  expect_error([&] { SafetensorsFile f(p); }, ErrorCode::InvalidModel, {p, "'w'", "8 bytes", "needs 12"});
  const std::string q = write("backwards.safetensors", with_header(
      R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [4, 2]}})", std::string(8, '\0')));
  expect_error([&] { SafetensorsFile f(q); }, ErrorCode::InvalidModel, {q, "'w'", "end before"});
}

TEST_F(Safetensors, OverlappingRangesNameBothTensors) {
  const std::string p = write("overlap.safetensors", with_header(
      R"({"first": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "second": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", std::string(12, '\0')));
  expect_error([&] { SafetensorsFile f(p); }, ErrorCode::InvalidModel, {p, "'second'", "overlap", "'first'"});
}

TEST_F(Safetensors, AbsentTensorIsAnError) {
  SafetensorsFile f(write("one.safetensors", safetensors_bytes({{"a", "U8", {1}, "x"}})));
  expect_error([&] { f.tensor("b"); }, ErrorCode::InvalidModel, {f.path(), "'b'"});
}

TEST_F(Safetensors, ShardsThroughAnIndex) {
  write("model-00001-of-00002.safetensors", safetensors_bytes({{"enc.w", "F32", {2}, raw(std::vector<float>{1, 2})}}));
  write("model-00002-of-00002.safetensors", safetensors_bytes({{"dec.w", "F16", {1}, raw(std::vector<uint16_t>{float_to_half(5)})},
                                                               {"unlisted", "U8", {1}, "z"}}));
  json index = {{"metadata", {{"total_size", 10}}},
                {"weight_map", {{"enc.w", "model-00001-of-00002.safetensors"}, {"dec.w", "model-00002-of-00002.safetensors"}}}};
  const std::string ip = write("model.safetensors.index.json", index.dump());
  SafetensorsSet s = SafetensorsSet::open_index(ip);
  EXPECT_EQ(s.names(), (std::vector<std::string>{"dec.w", "enc.w"}));
  EXPECT_EQ(s.tensor("enc.w").data<float>()[1], 2.0f);
  EXPECT_EQ(half_to_float(s.tensor("dec.w").data<uint16_t>()[0]), 5.0f);
  EXPECT_EQ(fs::path(s.file_of("dec.w")).filename(), "model-00002-of-00002.safetensors");
  EXPECT_FALSE(s.contains("unlisted"));
  expect_error([&] { s.tensor("nope"); }, ErrorCode::InvalidModel, {ip, "'nope'"});

  SafetensorsSet single = SafetensorsSet::open_file((dir_ / "model-00002-of-00002.safetensors").string());
  EXPECT_TRUE(single.contains("unlisted"));
}

TEST_F(Safetensors, BrokenIndexes) {
  write("shard.safetensors", safetensors_bytes({{"a", "U8", {1}, "x"}}));
  const std::string wrong = write("wrong.index.json", R"({"weight_map": {"b": "shard.safetensors"}})");
  expect_error([&] { SafetensorsSet::open_index(wrong); }, ErrorCode::InvalidModel, {wrong, "'b'", "shard.safetensors"});
  const std::string gone = write("gone.index.json", R"({"weight_map": {"a": "missing-shard.safetensors"}})");
  expect_error([&] { SafetensorsSet::open_index(gone); }, ErrorCode::Io, {"missing-shard.safetensors"});
  const std::string no_map = write("nomap.index.json", R"({"metadata": {}})");
  expect_error([&] { SafetensorsSet::open_index(no_map); }, ErrorCode::InvalidModel, {no_map, "weight_map"});
  const std::string bad_json = write("bad.index.json", "{");
  expect_error([&] { SafetensorsSet::open_index(bad_json); }, ErrorCode::InvalidModel, {bad_json, "JSON"});
}

}  // namespace
}  // namespace lre::asr
