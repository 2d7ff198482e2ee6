// The engine cache and what it is built from: the shared tuning table, the entry file format, the
// graph -> ONNX writer, and Engine::load with a cache_dir (hits, misses, damaged entries rebuilt,
// identical outputs, timings of a first and a cached load).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/engine_cache.h"
#include "engine/engine_impl.h"
#include "onnx/model_writer.h"
#include "op_test_util.h"

namespace lre::test {

namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& file) {
  const char* dir = std::getenv("LRE_TEST_MODELS");
  EXPECT_NE(dir, nullptr) << "LRE_TEST_MODELS is set by ctest (fixture generate_models)";
  return std::string(dir ? dir : ".") + "/" + file;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh, empty folder for one test.
std::string fresh_dir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/lre_engine_cache_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> entries_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

EngineOptions with_cache(const std::string& dir) {
  EngineOptions o;
  o.cache_dir = dir;
  return o;
}

// Path of the entry a load of `model` with `options` reads and writes.
std::string entry_path(const std::string& model, const EngineOptions& options) {
  return EngineCache(read_file(model), options).path();
}

Tensor images(int64_t n, int64_t side = 32, unsigned seed = 100) {
  return random_tensor(DType::Float32, {n, 3, side, side}, seed);
}

std::vector<Tensor> run_once(const std::shared_ptr<const Engine>& engine, const Tensor& image) {
  ExecutionContext ctx(engine, {.threads = 1});
  return ctx.run({{"image", image}});
}

// Bit-identical outputs: a cached engine runs the very graph the compiled one runs.
void expect_same_outputs(const std::shared_ptr<const Engine>& a, const std::shared_ptr<const Engine>& b,
                         const Tensor& image) {
  std::vector<Tensor> x = run_once(a, image), y = run_once(b, image);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) expect_close(x[i], to_doubles(y[i]), 0, 0);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::shared_ptr<const Engine> timed_load(const std::string& model, const EngineOptions& options, double& ms) {
  auto t0 = std::chrono::steady_clock::now();
  auto engine = Engine::load(model, options);
  ms = ms_since(t0);
  return engine;
}

// The same model with one weight changed (the first float initializer's first element).
std::string with_changed_weight(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  for (auto& init : *model.mutable_graph()->mutable_initializer()) {
    if (init.data_type() != onnx::TensorProto::FLOAT || init.raw_data().size() < 4) continue;
    std::string raw = init.raw_data();
    float v;
    std::memcpy(&v, raw.data(), 4);
    v = v * 1.5f + 0.25f;
    std::memcpy(raw.data(), &v, 4);
    init.set_raw_data(raw);
    return model.SerializeAsString();
  }
  ADD_FAILURE() << "no float initializer with raw data";
  return bytes;
}

}  // namespace

// ---- the tuning table ------------------------------------------------------------------------

TEST(TuningTable, FindsWhatWasPutAndTracksChanges) {
  TuningTable t;
  EXPECT_EQ(t.find("conv 1 2 3"), -1);
  EXPECT_FALSE(t.changed());
  t.put("conv 1 2 3", 4);
  EXPECT_EQ(t.find("conv 1 2 3"), 4);
  EXPECT_TRUE(t.changed());
  std::map<std::string, int> saved = t.snapshot();
  EXPECT_EQ(saved, (std::map<std::string, int>{{"conv 1 2 3", 4}}));
  t.mark_saved(saved);
  EXPECT_FALSE(t.changed());
  t.put("conv 1 2 3", 4);  // the same choice again is no change
  EXPECT_FALSE(t.changed());
  t.put("conv 1 2 3", 1);
  EXPECT_TRUE(t.changed());
  // A choice put after the snapshot was taken keeps the table changed once that snapshot is saved.
  std::map<std::string, int> older = t.snapshot();
  t.put("conv 9", 2);
  t.mark_saved(older);
  EXPECT_TRUE(t.changed());
}

TEST(TuningTable, SeededTableStartsUnchanged) {
  TuningTable t(std::map<std::string, int>{{"a", 1}, {"b", 2}});
  EXPECT_EQ(t.find("b"), 2);
  EXPECT_FALSE(t.changed());
}

TEST(TuningTable, ContextsShareItFromManyThreads) {
  TuningTable t;
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "problem " + std::to_string(i);
        t.put(key, i);
        EXPECT_EQ(t.find(key), i) << "thread " << k;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.snapshot().size(), 500u);
}

// ---- the entry file format -------------------------------------------------------------------

namespace {
CacheEntry sample_entry() {
  CacheEntry e;
  e.header.lre_version = "0.1.0";
  e.header.device = "NVIDIA H100 80GB HBM3";
  e.header.compute_capability = "9.0";
  e.header.libraries = "cudart 13000, cudnn 91400, cublas 13.0.2";
  e.header.options = "device=cuda precision=fp16 optimize=1 check_model=1";
  e.header.model_hash = 0x0123456789abcdefull;
  e.header.external_files = {{"weights.data", 42}};
  e.summary.name = "net";
  e.summary.producer = "pytorch 2.11";
  e.summary.ir_version = 8;
  e.summary.opsets = {{"", 17}, {"com.microsoft", 1}};
  e.summary.nodes_loaded = 123;
  e.summary.parameters = 11'000'000;
  e.summary.parameter_bytes = 44'000'000;
  e.model = std::string("\x08\x08\x00\x01 model bytes \xff", 18);
  e.tuning = {{"conv 1 64 3 64 1 56 3/1/1/1 56 3/1/1/1", 6}, {"conv 2", 0}, {"odd \n key", -1}};
  return e;
}

ErrorCode decode_error(const std::string& bytes, std::string* message = nullptr) {
  try {
    decode_cache_entry(bytes);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "the damaged entry decoded";
  return ErrorCode::Internal;
}
}  // namespace

TEST(EngineCacheFormat, EntriesRoundTrip) {
  CacheEntry e = sample_entry();
  std::string bytes = encode_cache_entry(e);
  EXPECT_EQ(bytes.substr(0, 8), "LRECACHE");
  CacheEntry d = decode_cache_entry(bytes);
  EXPECT_EQ(d.header, e.header);
  EXPECT_EQ(d.summary.name, e.summary.name);
  EXPECT_EQ(d.summary.producer, e.summary.producer);
  EXPECT_EQ(d.summary.ir_version, e.summary.ir_version);
  EXPECT_EQ(d.summary.opsets, e.summary.opsets);
  EXPECT_EQ(d.summary.nodes_loaded, e.summary.nodes_loaded);
  EXPECT_EQ(d.summary.parameters, e.summary.parameters);
  EXPECT_EQ(d.summary.parameter_bytes, e.summary.parameter_bytes);
  EXPECT_EQ(d.model, e.model);
  EXPECT_EQ(d.tuning, e.tuning);
}

TEST(EngineCacheFormat, EveryKindOfDamageIsDetected) {
  const std::string good = encode_cache_entry(sample_entry());
  std::string msg;
  for (size_t at : {size_t{40}, good.size() / 2, good.size() - 1}) {  // header, model, tuning
    std::string flipped = good;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    EXPECT_EQ(decode_error(flipped, &msg), ErrorCode::InvalidModel) << "byte " << at;
    EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  }
  EXPECT_EQ(decode_error(good.substr(0, good.size() - 7), &msg), ErrorCode::InvalidModel);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_EQ(decode_error(good.substr(0, 20)), ErrorCode::InvalidModel);
  EXPECT_EQ(decode_error(""), ErrorCode::InvalidModel);
  EXPECT_EQ(decode_error(good + "x"), ErrorCode::InvalidModel);
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_EQ(decode_error(magic, &msg), ErrorCode::InvalidModel);
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
  std::string version = good;
  version[8] = static_cast<char>(kCacheFormatVersion + 1);
  EXPECT_EQ(decode_error(version, &msg), ErrorCode::InvalidModel);
  EXPECT_NE(msg.find("format version"), std::string::npos) << msg;
}

TEST(EngineCacheFormat, HashSeesEveryByte) {
  std::string data(1000, 'a');
  const uint64_t h = hash64(data);
  EXPECT_EQ(hash64(data), h);
  for (size_t at : {size_t{0}, size_t{7}, size_t{500}, size_t{999}}) {
    std::string changed = data;
    changed[at] = 'b';
    EXPECT_NE(hash64(changed), h) << at;
  }
  EXPECT_NE(hash64(data.substr(0, 999)), h);
  EXPECT_NE(hash64(std::string("\0", 1)), hash64(""));
}

TEST(EngineCacheFormat, KeyCoversOptions) {
  const std::string model = read_file(fixture("resnet_tiny.onnx"));
  const std::string dir = fresh_dir("key");
  EngineOptions base = with_cache(dir);
  const std::string path = EngineCache(model, base).path();
  EXPECT_EQ(EngineCache(model, base).path(), path);
  EXPECT_EQ(fs::path(path).parent_path(), fs::path(dir));
  EXPECT_EQ(fs::path(path).extension(), ".lre");
  EngineOptions fp16 = base, unoptimised = base, unchecked = base;
  fp16.precision = Precision::Fp16;
  unoptimised.optimize = false;
  unchecked.check_model = false;
  for (const EngineOptions& o : {fp16, unoptimised, unchecked}) EXPECT_NE(EngineCache(model, o).path(), path);
  EXPECT_NE(EngineCache(with_changed_weight(model), base).path(), path);
  EXPECT_EQ(EngineCache(model, base).header().device, "cpu");
}

// ---- graph -> ONNX ---------------------------------------------------------------------------

TEST(ModelWriter, OptimisedGraphRoundTrips) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  std::string bytes = write_onnx_model(engine->impl().graph);
  EngineOptions as_is;
  as_is.check_model = false;  // fused Conv (activation, residual input) is ours, not ONNX's
  as_is.optimize = false;
  auto reloaded = Engine::load_from_memory(bytes, as_is);
  EXPECT_EQ(reloaded->summary().op_counts, engine->summary().op_counts);
  EXPECT_EQ(reloaded->summary().nodes_compiled, engine->summary().nodes_compiled);
  ASSERT_EQ(reloaded->inputs().size(), 1u);
  EXPECT_EQ(reloaded->inputs()[0].shape_string(), engine->inputs()[0].shape_string());
  ASSERT_EQ(reloaded->outputs().size(), 1u);
  EXPECT_EQ(reloaded->outputs()[0].name, engine->outputs()[0].name);
  EXPECT_EQ(reloaded->outputs()[0].shape_string(), engine->outputs()[0].shape_string());
  // Folded BatchNormalization weights are not written, only what the graph still reads.
  EXPECT_LT(reloaded->summary().parameters, engine->summary().parameters);
  expect_same_outputs(reloaded, engine, images(2));
}

TEST(ModelWriter, UnoptimisedGraphIsValidOnnx) {
  EngineOptions plain;
  plain.optimize = false;
  auto engine = Engine::load(fixture("resnet_tiny.onnx"), plain);
  std::string bytes = write_onnx_model(engine->impl().graph);
  auto checked = Engine::load_from_memory(bytes, plain);  // the ONNX checker accepts it
  EXPECT_EQ(checked->summary().op_counts, engine->summary().op_counts);
  EXPECT_EQ(checked->summary().parameters, engine->summary().parameters);
  expect_same_outputs(checked, engine, images(1));
}

TEST(ModelWriter, AttributesOptionalInputsAndDeclaredTypesRoundTrip) {
  ModelBuilder m(13);
  m.input("x", DType::Float32, {std::string("batch"), int64_t{3}, int64_t{4}});
  m.initializer("hi", make_tensor<float>({}, {0.5f}));
  set_attr(m.node("Transpose", {"x"}, {"t"}), "perm", std::vector<int64_t>{0, 2, 1});
  auto* c = m.node("Constant", {}, {"c"});
  fill_tensor_proto(add_attr(c, "value", onnx::AttributeProto::TENSOR)->mutable_t(), "", make_tensor<float>({3}, {1, -2, 3}));
  m.node("Add", {"t", "c"}, {"a"});
  set_attr(m.node("LeakyRelu", {"a"}, {"l"}), "alpha", 0.25f);
  m.node("Clip", {"l", "", "hi"}, {"z"});  // min omitted
  m.node("Shape", {"z"}, {"s"});
  m.output("z", DType::Float32, {std::string("batch"), int64_t{4}, int64_t{3}});
  m.output("s");  // type left to inference
  EngineOptions plain;
  plain.optimize = false;
  plain.check_model = false;
  auto engine = Engine::load_from_memory(m.bytes(), plain);
  auto reloaded = Engine::load_from_memory(write_onnx_model(engine->impl().graph), plain);
  EXPECT_EQ(reloaded->summary().op_counts, engine->summary().op_counts);
  EXPECT_EQ(reloaded->inputs()[0].shape_string(), "[batch, 3, 4]");
  EXPECT_EQ(reloaded->outputs()[0].shape_string(), "[batch, 4, 3]");
  EXPECT_EQ(reloaded->summary().opsets.at(""), 13);
  const Graph& g = reloaded->impl().graph;
  EXPECT_EQ(g.nodes[1].attrs.get_tensor("value").numel(), 3);
  EXPECT_EQ(g.nodes[3].attrs.get_float("alpha", 0), 0.25f);
  EXPECT_EQ(g.nodes[4].inputs[1], kNoValue);
  Tensor x = random_tensor(DType::Float32, {2, 3, 4}, 7);
  ExecutionContext a(engine), b(reloaded);
  std::vector<Tensor> want = a.run({{"x", x}}), got = b.run({{"x", x}});
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], to_doubles(want[i]), 0, 0);
}

TEST(ModelWriter, SubgraphAttributesAreRefused) {
  Graph g;
  g.name = "with_subgraph";
  g.opsets[""] = 17;
  Node n;
  n.name = "loop";
  n.op_type = "Loop";
  n.opset = 17;
  Attribute body;
  body.kind = Attribute::Kind::Graph;
  n.attrs.set("body", body);
  g.nodes.push_back(n);
  try {
    write_onnx_model(g);
    ADD_FAILURE() << "a graph attribute was written";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_NE(std::string(e.what()).find("'body'"), std::string::npos) << e.what();
  }
}

// ---- Engine::load with a cache ---------------------------------------------------------------

TEST(EngineCache, FirstLoadWritesTheEntryAndTheSecondUsesIt) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("hit");
  double first_ms = 0, cached_ms = 0, plain_ms = 0;
  auto plain = timed_load(model, {}, plain_ms);
  auto first = timed_load(model, with_cache(dir), first_ms);
  EXPECT_FALSE(first->summary().from_cache);
  ASSERT_EQ(entries_in(dir).size(), 1u);
  EXPECT_EQ(dir + "/" + entries_in(dir)[0], entry_path(model, with_cache(dir)));
  auto cached = timed_load(model, with_cache(dir), cached_ms);
  EXPECT_TRUE(cached->summary().from_cache);
  std::printf("[ timing   ] resnet_tiny: load without cache %.2f ms, first load %.2f ms, cached load %.2f ms\n", plain_ms,
              first_ms, cached_ms);

  // The summary describes the model as loaded, as a compiled engine's does.
  const ModelSummary &a = cached->summary(), &b = plain->summary();
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.producer, b.producer);
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.opsets, b.opsets);
  EXPECT_EQ(a.op_counts, b.op_counts);
  EXPECT_EQ(a.nodes_loaded, b.nodes_loaded);
  EXPECT_EQ(a.nodes_compiled, b.nodes_compiled);
  EXPECT_EQ(a.parameters, b.parameters);
  EXPECT_EQ(a.parameter_bytes, b.parameter_bytes);
  EXPECT_EQ(cached->inputs()[0].shape_string(), plain->inputs()[0].shape_string());
  EXPECT_EQ(cached->outputs()[0].name, plain->outputs()[0].name);
  expect_same_outputs(cached, plain, images(3));
  expect_same_outputs(first, plain, images(1, 32, 7));
  EXPECT_EQ(entries_in(dir).size(), 1u);  // no temporary files left behind
}

TEST(EngineCache, BiggerModelLoadsFasterFromTheCache) {
  // ResNet-18's weights (11.7M parameters) on small images: the load is about the weights.
  const std::string dir = fresh_dir("resnet18");
  const std::string model = dir + "/resnet18.onnx";
  const char* python = std::getenv("LRE_TEST_PYTHON");
  std::string cmd = std::string(python ? python : "/usr/bin/python3") + " " LRE_SOURCE_DIR "/scripts/make_example_model.py " +
                    model + " --image 64 --classes 100 > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(model)) GTEST_SKIP() << "cannot generate the model: " << cmd;
  const std::string cache = dir + "/cache";
  double plain_ms = 0, first_ms = 0, cached_ms = 0;
  auto plain = timed_load(model, {}, plain_ms);
  auto first = timed_load(model, with_cache(cache), first_ms);
  auto cached = timed_load(model, with_cache(cache), cached_ms);
  EXPECT_FALSE(first->summary().from_cache);
  EXPECT_TRUE(cached->summary().from_cache);
  std::printf("[ timing   ] resnet18 (%.1f MB): load without cache %.1f ms, first load %.1f ms, cached load %.1f ms\n",
              static_cast<double>(fs::file_size(model)) / 1e6, plain_ms, first_ms, cached_ms);
  expect_same_outputs(cached, plain, images(1, 64));
}

TEST(EngineCache, DamagedOrStaleEntriesAreRebuilt) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("damaged");
  const EngineOptions options = with_cache(dir);
  auto plain = Engine::load(model);
  ASSERT_FALSE(Engine::load(model, options)->summary().from_cache);
  const std::string path = entry_path(model, options);
  const std::string good = read_file(path);
  ASSERT_GT(good.size(), 1000u);

  CacheEntry other_version = decode_cache_entry(good);
  other_version.header.lre_version = "0.0.1";
  CacheEntry other_gpu = decode_cache_entry(good);
  other_gpu.header.device = "NVIDIA A100-SXM4-80GB";
  other_gpu.header.compute_capability = "8.0";
  CacheEntry other_model = decode_cache_entry(good);
  other_model.header.model_hash ^= 1;
  std::string flipped = good, magic = good, format = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x01);
  magic[3] = '?';
  format[8] = static_cast<char>(format[8] + 1);
  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"flipped payload byte", flipped},
      {"truncated", good.substr(0, good.size() * 2 / 3)},
      {"truncated to the header", good.substr(0, 40)},
      {"empty", ""},
      {"wrong magic", magic},
      {"other format version", format},
      {"header of another LRE version", encode_cache_entry(other_version)},
      {"header of another GPU", encode_cache_entry(other_gpu)},
      {"header of another model", encode_cache_entry(other_model)},
  };
  for (const auto& [what, bytes] : damaged) {
    SCOPED_TRACE(what);
    write_file(path, bytes);
    auto engine = Engine::load(model, options);
    EXPECT_FALSE(engine->summary().from_cache);
    expect_same_outputs(engine, plain, images(1));
    EXPECT_EQ(read_file(path), good);  // rewritten, valid again
    EXPECT_TRUE(Engine::load(model, options)->summary().from_cache);
  }
  EXPECT_EQ(entries_in(dir).size(), 1u);
}

TEST(EngineCache, ChangedModelMissesTheCache) {
  const std::string dir = fresh_dir("changed");
  const std::string model = dir + "/m.onnx";
  const std::string original = read_file(fixture("resnet_tiny.onnx"));
  write_file(model, original);
  const EngineOptions options = with_cache(dir + "/cache");
  Engine::load(model, options);
  auto before = Engine::load(model, options);
  ASSERT_TRUE(before->summary().from_cache);

  write_file(model, with_changed_weight(original));  // same file name, other weights
  auto after = Engine::load(model, options);
  EXPECT_FALSE(after->summary().from_cache);
  auto plain = Engine::load(model);
  expect_same_outputs(after, plain, images(1));
  EXPECT_NE(to_doubles(run_once(after, images(1))[0]), to_doubles(run_once(before, images(1))[0]));
  EXPECT_TRUE(Engine::load(model, options)->summary().from_cache);
  EXPECT_EQ(entries_in(dir + "/cache").size(), 2u);  // one entry per model content
}

TEST(EngineCache, ChangedExternalDataMissesTheCache) {
  const std::string dir = fresh_dir("external");
  const std::string model = dir + "/resnet_tiny_external.onnx";
  const std::string data = dir + "/resnet_tiny_external.onnx.data";
  fs::copy_file(fixture("resnet_tiny_external.onnx"), model);
  fs::copy_file(fixture("resnet_tiny_external.onnx.data"), data);
  const EngineOptions options = with_cache(dir + "/cache");
  Engine::load(model, options);
  auto before = Engine::load(model, options);
  ASSERT_TRUE(before->summary().from_cache);
  expect_same_outputs(before, Engine::load(fixture("resnet_tiny.onnx")), images(1));

  std::string weights = read_file(data);
  weights[weights.size() / 2] = static_cast<char>(weights[weights.size() / 2] ^ 0x40);  // a float's low bits
  write_file(data, weights);
  auto after = Engine::load(model, options);
  EXPECT_FALSE(after->summary().from_cache);
  expect_same_outputs(after, Engine::load(model), images(1));
  EXPECT_TRUE(Engine::load(model, options)->summary().from_cache);
}

TEST(EngineCache, OtherOptionsMissTheCache) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("options");
  EngineOptions base = with_cache(dir), unoptimised = base, unchecked = base;
  unoptimised.optimize = false;
  unchecked.check_model = false;
  EXPECT_FALSE(Engine::load(model, base)->summary().from_cache);
  auto a = Engine::load(model, unoptimised);
  EXPECT_FALSE(a->summary().from_cache);
  EXPECT_FALSE(Engine::load(model, unchecked)->summary().from_cache);
  EXPECT_EQ(entries_in(dir).size(), 3u);
  auto b = Engine::load(model, unoptimised);
  EXPECT_TRUE(b->summary().from_cache);
  EXPECT_EQ(b->summary().op_counts.at("BatchNormalization"), 9);  // the unoptimised graph, as stored
  expect_same_outputs(b, a, images(1));
  EXPECT_TRUE(Engine::load(model, base)->summary().from_cache);
}

TEST(EngineCache, UnwritableFolderStillLoads) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("unwritable");
  write_file(dir + "/file", "not a folder");
  const EngineOptions options = with_cache(dir + "/file/cache");  // can never be created
  auto first = Engine::load(model, options);
  auto second = Engine::load(model, options);
  EXPECT_FALSE(first->summary().from_cache);
  EXPECT_FALSE(second->summary().from_cache);
  expect_same_outputs(second, Engine::load(model), images(1));
}

TEST(EngineCache, MissingFolderIsCreated) {
  const std::string dir = fresh_dir("created") + "/a/b";
  EXPECT_FALSE(Engine::load(fixture("resnet_tiny.onnx"), with_cache(dir))->summary().from_cache);
  EXPECT_EQ(entries_in(dir).size(), 1u);
}

TEST(EngineCache, TuningChoicesAreSavedWithTheEntry) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("tuning");
  const EngineOptions options = with_cache(dir);
  {
    auto engine = Engine::load(model, options);
    // What a context's first run does on a GPU: time candidates, keep the choice.
    engine->impl().tuning->put("conv 0 1 8 8 1 32 3/1/1/1 32 3/1/1/1", 6);
  }  // saved as the engine goes away
  CacheEntry entry = decode_cache_entry(read_file(entry_path(model, options)));
  EXPECT_EQ(entry.tuning, (std::map<std::string, int>{{"conv 0 1 8 8 1 32 3/1/1/1 32 3/1/1/1", 6}}));
  {
    auto engine = Engine::load(model, options);
    ASSERT_TRUE(engine->summary().from_cache);
    EXPECT_EQ(engine->impl().tuning->find("conv 0 1 8 8 1 32 3/1/1/1 32 3/1/1/1"), 6);
    EXPECT_FALSE(engine->impl().tuning->changed());
    engine->impl().tuning->put("conv 2", 1);
  }
  entry = decode_cache_entry(read_file(entry_path(model, options)));
  EXPECT_EQ(entry.tuning.size(), 2u);
  EXPECT_EQ(entry.tuning.at("conv 2"), 1);
  EXPECT_TRUE(Engine::load(model, options)->summary().from_cache);
}

TEST(EngineCache, ConcurrentWritersLeaveOneValidEntry) {
  const std::string model = fixture("resnet_tiny.onnx");
  const std::string dir = fresh_dir("concurrent");
  const EngineOptions options = with_cache(dir);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) EXPECT_NO_THROW(Engine::load(model, options));
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(entries_in(dir).size(), 1u);
  EXPECT_NO_THROW(decode_cache_entry(read_file(entry_path(model, options))));
  EXPECT_TRUE(Engine::load(model, options)->summary().from_cache);
}

}  // namespace lre::test
