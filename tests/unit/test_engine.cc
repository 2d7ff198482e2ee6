// The engine and its contexts: the example ResNet end to end, memory plans and their reuse,
// concurrent contexts, optimisation passes, and every kind of bad input giving a clear lre::Error.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "op_test_util.h"

namespace lre::test {

namespace {

std::string fixture(const std::string& file) {
  const char* dir = std::getenv("LRE_TEST_MODELS");
  EXPECT_NE(dir, nullptr) << "LRE_TEST_MODELS is set by ctest (fixture generate_models)";
  return std::string(dir ? dir : ".") + "/" + file;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

ErrorCode error_code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no lre::Error thrown";
  return ErrorCode::Internal;
}

// A batch of `n` images, each image's pixels depending on its index within the batch.
Tensor images(int64_t n, int64_t first = 0) {
  Tensor t(DType::Float32, {n, 3, 32, 32});
  for (int64_t b = 0; b < n; ++b) {
    Tensor one = random_tensor(DType::Float32, {3, 32, 32}, static_cast<unsigned>(100 + first + b));
    std::copy(one.data<float>(), one.data<float>() + one.numel(), t.data<float>() + b * one.numel());
  }
  return t;
}

}  // namespace

TEST(Engine, DescribesTheExampleModel) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  ASSERT_EQ(engine->inputs().size(), 1u);
  EXPECT_EQ(engine->inputs()[0].name, "image");
  EXPECT_EQ(engine->inputs()[0].shape_string(), "[batch, 3, 32, 32]");
  ASSERT_EQ(engine->outputs().size(), 1u);
  EXPECT_EQ(engine->outputs()[0].name, "logits");
  const ModelSummary& s = engine->summary();
  EXPECT_EQ(s.op_counts.at("Conv"), 9);
  EXPECT_GT(s.parameters, 1000);
  EXPECT_EQ(s.opsets.at(""), 13);
}

TEST(Engine, BatchedRunMatchesOneImageAtATime) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  ExecutionContext ctx(engine, {.threads = 2});
  std::vector<Tensor> batched = ctx.run({{"image", images(3)}});
  ASSERT_EQ(batched[0].shape(), (Shape{3, 10}));
  for (int64_t b = 0; b < 3; ++b) {
    std::vector<Tensor> single = ctx.run({{"image", images(1, b)}});
    ASSERT_EQ(single[0].shape(), (Shape{1, 10}));
    std::vector<double> want = to_doubles(single[0]);
    std::vector<double> got = to_doubles(batched[0]);
    for (int64_t j = 0; j < 10; ++j) {
      ASSERT_TRUE(std::isfinite(got[b * 10 + j]));
      EXPECT_NEAR(got[b * 10 + j], want[j], 1e-4 * (1 + std::fabs(want[j]))) << "image " << b << " class " << j;
    }
  }
}

TEST(Engine, SteadyStateRunsReuseArenaAndOutputs) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  ExecutionContext ctx(engine, {.threads = 1});
  NamedTensors in = {{"image", images(2)}};
  std::vector<Tensor> out;
  ctx.run(in, out);  // plans
  std::vector<double> first = to_doubles(out[0]);
  ctx.run(in, out);  // binds the arena
  size_t arena = ctx.arena_bytes();
  const void* out_ptr = out[0].raw();
  EXPECT_GT(arena, 0u);
  for (int i = 0; i < 3; ++i) {
    std::fill(out[0].data<float>(), out[0].data<float>() + out[0].numel(), std::nanf(""));  // poison
    ctx.run(in, out);
    EXPECT_EQ(ctx.arena_bytes(), arena);
    EXPECT_EQ(out[0].raw(), out_ptr);
    expect_close(out[0], first, 0, 0);
  }
  // The arena is far smaller than all activations together (batch 2: the first conv alone is
  // 2*8*16*16 floats, and there are 23 nodes).
  EXPECT_LT(arena, 2u * 8 * 16 * 16 * 4 * 6);
}

TEST(Engine, ContextsRunConcurrentlyOnOneEngine) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  std::vector<std::vector<double>> want;
  {
    ExecutionContext ctx(engine, {.threads = 1});
    for (int64_t b = 0; b < 4; ++b) want.push_back(to_doubles(ctx.run({{"image", images(b + 1, b)}})[0]));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ExecutionContext ctx(engine, {.threads = 1});
      for (int i = 0; i < 10; ++i) {
        int64_t b = (t + i) % 4;
        if (to_doubles(ctx.run({{"image", images(b + 1, b)}})[0]) != want[static_cast<size_t>(b)]) mismatches[t]++;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(Engine, ExternalDataIsLoadedAndMissingDataIsAnIoError) {
  auto engine = Engine::load(fixture("resnet_tiny_external.onnx"));
  auto inline_engine = Engine::load(fixture("resnet_tiny.onnx"));
  ExecutionContext a(engine), b(inline_engine);
  NamedTensors in = {{"image", images(1)}};
  expect_close(a.run(in)[0], to_doubles(b.run(in)[0]), 0, 0);

  std::string dir = ::testing::TempDir() + "/lre_missing_data";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(fixture("resnet_tiny_external.onnx"), dir + "/m.onnx",
                             std::filesystem::copy_options::overwrite_existing);
  std::string msg;
  EXPECT_EQ(error_code_of([&] { Engine::load(dir + "/m.onnx"); }, &msg), ErrorCode::Io);
  EXPECT_NE(msg.find("resnet_tiny_external.onnx.data"), std::string::npos) << msg;
}

TEST(Engine, CorruptModelsAreRejectedClearly) {
  std::string good = read_file(fixture("resnet_tiny.onnx"));
  ASSERT_GT(good.size(), 1000u);
  std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  std::string msg;
  EXPECT_EQ(error_code_of([&] { Engine::load(write("empty.onnx", "")); }, &msg), ErrorCode::InvalidModel);
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { Engine::load(write("trunc.onnx", good.substr(0, good.size() / 2))); }, &msg),
            ErrorCode::InvalidModel);
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 2654435761u) >> 13);
  EXPECT_EQ(error_code_of([&] { Engine::load(write("garbage.onnx", garbage)); }, &msg), ErrorCode::InvalidModel);
  EXPECT_EQ(error_code_of([&] { Engine::load(dir + "/does_not_exist.onnx"); }, &msg), ErrorCode::Io);
  EXPECT_EQ(error_code_of([&] { Engine::load(dir); }, &msg), ErrorCode::Io);
}

TEST(Engine, EveryUnknownOpIsNamedAtLoad) {
  ModelBuilder m;
  m.input("x", DType::Float32, {int64_t{4}});
  m.node("FrobnicateA", {"x"}, {"a"});
  m.node("Relu", {"a"}, {"b"});
  m.node("FrobnicateB", {"b"}, {"c"});
  m.node("FrobnicateB", {"c"}, {"y"});
  m.output("y", DType::Float32, {int64_t{4}});
  std::string msg;
  EngineOptions opts;
  opts.check_model = false;
  EXPECT_EQ(error_code_of([&] { Engine::load_from_memory(m.bytes(), opts); }, &msg), ErrorCode::Unsupported);
  EXPECT_NE(msg.find("FrobnicateA"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FrobnicateB (2 nodes"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("Relu"), std::string::npos) << msg;
}

TEST(Engine, InputsAreValidated) {
  auto engine = Engine::load(fixture("resnet_tiny.onnx"));
  ExecutionContext ctx(engine);
  std::string msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({{"img", images(1)}}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("unknown input 'img'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("image"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("missing input 'image'"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({{"image", images(1)}, {"image", images(1)}}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_code_of([&] { ctx.run({{"image", Tensor(DType::Float64, {1, 3, 32, 32})}}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("expects float32, got float64"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({{"image", Tensor(DType::Float32, {3, 32, 32})}}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("rank 4"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({{"image", Tensor(DType::Float32, {1, 3, 31, 32})}}); }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("dimension 2 to be 32"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { ctx.run({{"image", Tensor()}}); }, &msg), ErrorCode::InvalidArgument);
  // The context still works after rejecting bad inputs.
  EXPECT_EQ(ctx.run({{"image", images(1)}})[0].shape(), (Shape{1, 10}));
}

TEST(Engine, RuntimeShapeErrorsNameTheNode) {
  ModelBuilder m;
  m.input("a", DType::Float32, {std::string("n")});
  m.input("b", DType::Float32, {std::string("m")});
  m.node("Add", {"a", "b"}, {"y"})->set_name("the_add");
  m.output("y", DType::Float32, {std::string("n")});
  auto engine = Engine::load_from_memory(m.bytes());
  ExecutionContext ctx(engine);
  std::string msg;
  EXPECT_EQ(error_code_of([&] {
              ctx.run({{"a", random_tensor(DType::Float32, {3}, 1)}, {"b", random_tensor(DType::Float32, {4}, 2)}});
            }, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("the_add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
}

TEST(Engine, FoldsConstantsAndDropsDeadNodes) {
  ModelBuilder m;
  m.input("x", DType::Float32, {int64_t{5}});
  m.initializer("c1", random_tensor(DType::Float32, {5}, 3));
  m.initializer("c2", random_tensor(DType::Float32, {5}, 4));
  m.node("Add", {"c1", "c2"}, {"c"});      // folded
  m.node("Mul", {"x", "c"}, {"y"});        // kept
  m.node("Exp", {"x"}, {"unused"});        // dead
  m.output("y", DType::Float32, {int64_t{5}});
  auto engine = Engine::load_from_memory(m.bytes());
  EXPECT_EQ(engine->summary().nodes_loaded, 3);
  EXPECT_EQ(engine->summary().nodes_compiled, 1);
  EXPECT_EQ(engine->summary().op_counts.count("Add"), 0u);
  Tensor x = random_tensor(DType::Float32, {5}, 5);
  Tensor c1 = random_tensor(DType::Float32, {5}, 3), c2 = random_tensor(DType::Float32, {5}, 4);
  std::vector<double> want;
  for (int i = 0; i < 5; ++i)
    want.push_back(static_cast<double>(x.data<float>()[i]) * (static_cast<double>(c1.data<float>()[i]) + c2.data<float>()[i]));
  ExecutionContext ctx(engine);
  expect_close(ctx.run({{"x", x}})[0], want, 1e-6, 1e-7);
}

// BatchNormalization folds into the Conv before it; Relu, and the residual Add before a Relu,
// fold into the Conv after it (every one of them in this ResNet).
TEST(Engine, ConvFusionsKeepResults) {
  EngineOptions plain;
  plain.optimize = false;
  auto fused = Engine::load(fixture("resnet_tiny.onnx"));
  auto unfused = Engine::load(fixture("resnet_tiny.onnx"), plain);
  for (const char* op : {"BatchNormalization", "Relu", "Add"})
    EXPECT_EQ(fused->summary().op_counts.count(op), 0u) << op;
  EXPECT_EQ(fused->summary().op_counts.at("Conv"), 9);
  EXPECT_EQ(unfused->summary().op_counts.at("BatchNormalization"), 9);
  EXPECT_EQ(unfused->summary().op_counts.at("Relu"), 7);
  ExecutionContext a(fused), b(unfused);
  NamedTensors in = {{"image", images(2)}};
  std::vector<double> want = to_doubles(b.run(in)[0]);
  expect_close(a.run(in)[0], want, 1e-4, 1e-5);
}

TEST(Engine, DataDependentShapesAreReplannedPerRun) {
  // NonZero's output size depends on the data: same input shape, different output shapes.
  ModelBuilder m;
  m.input("x", DType::Float32, {int64_t{6}});
  m.node("NonZero", {"x"}, {"idx"});
  m.node("Cast", {"idx"}, {"f"});
  set_attr(m.proto().mutable_graph()->mutable_node(1), "to", int64_t{1});
  m.node("Neg", {"f"}, {"y"});
  m.output("y", DType::Float32, {int64_t{1}, std::string("k")});
  auto engine = Engine::load_from_memory(m.bytes());
  ExecutionContext ctx(engine, {.threads = 1});
  std::vector<Tensor> out;
  std::vector<std::vector<float>> xs = {{1, 0, 2, 0, 3, 0}, {0, 0, 0, 0, 0, 5}, {1, 1, 1, 1, 1, 1}, {1, 0, 2, 0, 3, 0}};
  for (const auto& values : xs) {
    Tensor x = make_tensor<float>({6}, values);
    ctx.run({{"x", x}}, out);
    std::vector<double> want;
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] != 0) want.push_back(-static_cast<double>(i));
    ASSERT_EQ(out[0].shape(), (Shape{1, static_cast<int64_t>(want.size())}));
    expect_close(out[0], want, 0, 0);
  }
}

// A device no machine has (and, in CPU builds or on CPU-only machines, any CUDA device) is refused
// with its name; reduced precision is for CUDA engines only.
TEST(Engine, UnavailableDevicesAndCpuReducedPrecisionAreRefused) {
  EngineOptions opts;
  opts.device = Device::cuda(99);
  std::string msg;
  EXPECT_EQ(error_code_of([&] { Engine::load(fixture("resnet_tiny.onnx"), opts); }, &msg), ErrorCode::Unsupported);
  EXPECT_NE(msg.find("cuda:99"), std::string::npos) << msg;
  opts = {};
  opts.precision = Precision::Fp16;
  EXPECT_EQ(error_code_of([&] { Engine::load(fixture("resnet_tiny.onnx"), opts); }, &msg), ErrorCode::Unsupported);
}

}  // namespace lre::test
