// CUDA engines against the CPU engine on the same models: every run path (eager first run, plan
// replay, CUDA graph capture and replay) in fp32, fp16 and bf16; host and device inputs and
// outputs; caller streams; CPU fallback nodes; and the stream rules (no hidden synchronisation,
// no driver allocation in steady state, the default stream refused), from many threads at once.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "gpu_test_util.h"
#include "lre/engine.h"
#include "model_builder.h"
#include "spin.h"

namespace lre::test {

namespace {

constexpr uint64_t kMs = 1000 * 1000;

std::string test_model(const std::string& name) {
  const char* dir = std::getenv("LRE_TEST_MODELS");
  if (!dir) ADD_FAILURE() << "LRE_TEST_MODELS is not set (scripts/gpu-check.sh sets it)";
  return std::string(dir ? dir : ".") + "/" + name;
}

EngineOptions on_gpu(Precision precision = Precision::Fp32) {
  EngineOptions o;
  o.device = Device::cuda(0);
  o.precision = precision;
  return o;
}

Tensor resnet_input(int64_t batch, unsigned seed) { return random_float(DType::Float32, {batch, 3, 32, 32}, seed, -1.0, 1.0); }

// Largest |got - want| over the largest |want|: the relative error of a whole output, which is
// what reduced precision is judged by (single elements near zero are not).
double max_relative_error(const Tensor& got, const Tensor& want) {
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  double err = 0, scale = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    err = std::max(err, std::fabs(g[i] - w[i]));
    scale = std::max(scale, std::fabs(w[i]));
  }
  return scale > 0 ? err / scale : err;
}

class CudaEngine : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    cpu_ = Engine::load(test_model("resnet_tiny.onnx"));
  }
  Tensor cpu_reference(const Tensor& x) {
    ExecutionContext ctx(cpu_, {.threads = 2});
    return ctx.run({{cpu_->inputs()[0].name, x}})[0];
  }
  std::shared_ptr<const Engine> cpu_;
};

TEST_F(CudaEngine, EveryRunPathMatchesTheCpuInFp32) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu());
  ExecutionContext ctx(gpu);
  const std::string name = gpu->inputs()[0].name;
  // Runs 0..4: eager, replay, capture, graph replay twice; then a new batch size, and back.
  const int64_t batches[] = {2, 2, 2, 2, 2, 1, 5, 2};
  unsigned seed = 1;
  for (int64_t batch : batches) {
    const Tensor x = resnet_input(batch, seed++);
    const Tensor want = cpu_reference(x);
    std::vector<Tensor> out = ctx.run({{name, x}});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].device().is_cpu());
    EXPECT_LT(max_relative_error(out[0], want), 1e-4) << "batch " << batch << ", seed " << seed;
  }
}

TEST_F(CudaEngine, ReducedPrecisionStaysWithinTolerance) {
  const Tensor x = resnet_input(3, 11);
  const Tensor want = cpu_reference(x);
  for (Precision p : {Precision::Fp16, Precision::Bf16}) {
    auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu(p));
    ExecutionContext ctx(gpu);
    for (int run = 0; run < 4; ++run) {
      std::vector<Tensor> out = ctx.run({{gpu->inputs()[0].name, x}});
      ASSERT_EQ(out[0].dtype(), DType::Float32) << "outputs keep the model's dtype";
      EXPECT_LT(max_relative_error(out[0], want), p == Precision::Fp16 ? 1e-2 : 4e-2)
          << (p == Precision::Fp16 ? "fp16" : "bf16") << " run " << run;
    }
  }
}

TEST_F(CudaEngine, DeviceTensorsOnTheCallersStreamAndPoisonedOutputs) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu());
  cuda::CudaStream caller;
  ExecutionContext ctx(gpu, {.cuda_stream = caller.get(), .output_device = Device::cuda(0)});
  EXPECT_EQ(ctx.cuda_stream(), static_cast<void*>(caller.get()));
  const std::string name = gpu->inputs()[0].name;
  for (int run = 0; run < 4; ++run) {
    const Tensor x = resnet_input(2, 20 + run);
    const Tensor want = cpu_reference(x);
    // Outputs the caller passes in, filled with NaN: every element must be written.
    Tensor poison(DType::Float32, want.shape());
    for (float& v : poison.span<float>()) v = std::nanf("");
    std::vector<Tensor> outputs = {poison.to(Device::cuda(0))};
    const void* given = outputs[0].raw();
    ctx.enqueue({{name, x.to(Device::cuda(0))}}, outputs);
    ctx.synchronize();
    EXPECT_EQ(outputs[0].raw(), given) << "a fitting output tensor is written in place";
    EXPECT_LT(max_relative_error(outputs[0].to(Device::cpu()), want), 1e-4) << "run " << run;
  }
}

TEST_F(CudaEngine, EnqueueMakesDeviceOutputsAndRefusesHostOnes) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu());
  ExecutionContext ctx(gpu);
  const Tensor x = resnet_input(1, 5);
  std::vector<Tensor> outputs;
  ctx.enqueue({{gpu->inputs()[0].name, x}}, outputs);
  ctx.synchronize();
  EXPECT_EQ(outputs[0].device(), Device::cuda(0));
  EXPECT_LT(max_relative_error(outputs[0].to(Device::cpu()), cpu_reference(x)), 1e-4);
  std::vector<Tensor> host = {Tensor(DType::Float32, outputs[0].shape())};
  try {
    ctx.enqueue({{gpu->inputs()[0].name, x}}, host);
    FAIL() << "enqueue accepted a host output";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("host tensor"), std::string::npos) << e.what();
  }
}

TEST_F(CudaEngine, DefaultStreamsAreRefused) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu());
  for (cudaStream_t s : {cudaStreamLegacy, cudaStreamPerThread}) {
    try {
      ExecutionContext ctx(gpu, {.cuda_stream = s});
      FAIL() << "a context accepted a default stream";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    }
  }
}

TEST_F(CudaEngine, WrongInputsAreClearErrors) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu(Precision::Fp16));
  ExecutionContext ctx(gpu);
  const std::string name = gpu->inputs()[0].name;
  EXPECT_THROW(ctx.run({{name, Tensor(DType::Int64, {1, 3, 32, 32})}}), Error);
  EXPECT_THROW(ctx.run({{name, Tensor(DType::Float32, {1, 4, 32, 32})}}), Error);
  EXPECT_THROW(ctx.run({{"nope", resnet_input(1, 1)}}), Error);
  // float16 is this engine's storage dtype for the float32 input, so it is accepted as is.
  Tensor half(DType::Float16, {1, 3, 32, 32});
  const Tensor x = resnet_input(1, 2);
  for (int64_t i = 0; i < x.numel(); ++i) half.data<Half>()[i] = Half(x.data<float>()[i]);
  EXPECT_LT(max_relative_error(ctx.run({{name, half}})[0], cpu_reference(x)), 1e-2);
}

// A model mixing device ops with one the device lacks (CumSum), which runs on the CPU between
// copies; its plan is never captured, and results must still match.
TEST_F(CudaEngine, NodesWithoutCudaKernelsRunOnTheCpu) {
  ModelBuilder b;
  b.input("x", DType::Float32, {"n", 7});
  Tensor axis(DType::Int64, {});
  *axis.data<int64_t>() = 1;
  b.initializer("axis", axis);
  b.node("Exp", {"x"}, {"e"});
  b.node("CumSum", {"e", "axis"}, {"c"});
  b.node("Sqrt", {"c"}, {"y"});
  b.output("y", DType::Float32, {"n", 7});
  auto cpu = Engine::load_from_memory(b.bytes());
  auto gpu = Engine::load_from_memory(b.bytes(), on_gpu());
  ExecutionContext cpu_ctx(cpu), gpu_ctx(gpu);
  for (int run = 0; run < 4; ++run) {
    const Tensor x = random_float(DType::Float32, {3, 7}, 40 + run);
    expect_all_close(gpu_ctx.run({{"x", x}})[0], cpu_ctx.run({{"x", x}})[0], "run " + std::to_string(run));
  }
}

// An attention block as exporters write it (LayerNormalization, MatMul, Reshape, Split, Squeeze,
// Transpose, Softmax, Erf-GELU, Clip, Slice, Gather, Expand, Concat, Cast to bool, Where,
// ReduceMean, Pad, MaxPool, GlobalAveragePool): every node must run on the device and match the
// CPU engine in fp32, and within tolerance in fp16.
std::string attention_block_model() {
  auto constant = [](std::initializer_list<float> v, Shape shape) {
    Tensor t(DType::Float32, std::move(shape));
    std::copy(v.begin(), v.end(), t.data<float>());
    return t;
  };
  auto ints = [](std::initializer_list<int64_t> v) {
    Tensor t(DType::Int64, {static_cast<int64_t>(v.size())});
    std::copy(v.begin(), v.end(), t.data<int64_t>());
    return t;
  };
  constexpr int64_t kD = 24, kHeads = 3;
  ModelBuilder b;
  b.input("x", DType::Float32, {"batch", int64_t{10}, kD});
  b.initializer("gamma", random_float(DType::Float32, {kD}, 1, 0.5, 1.5));
  b.initializer("beta", random_float(DType::Float32, {kD}, 2, -0.2, 0.2));
  b.initializer("wqkv", random_float(DType::Float32, {kD, 3 * kD}, 3, -0.3, 0.3));
  b.initializer("wo", random_float(DType::Float32, {kD, kD}, 4, -0.3, 0.3));
  b.initializer("heads_shape", ints({0, 10, 3, kHeads, kD / kHeads}));
  b.initializer("merge_shape", ints({0, 10, kD}));
  b.initializer("scale", constant({0.35355339f}, {}));
  b.initializer("half", constant({0.5f}, {}));
  b.initializer("one", constant({1.0f}, {}));
  b.initializer("sqrt2", constant({1.41421356f}, {}));
  b.initializer("lo", constant({-2.0f}, {}));
  b.initializer("hi", constant({2.0f}, {}));
  b.initializer("rows", ints({0, 2, 4}));
  b.initializer("starts", ints({1}));
  b.initializer("ends", ints({9}));
  b.initializer("axes0", ints({0}));
  b.initializer("axes1", ints({1}));
  b.initializer("pads", ints({0, 0, 1, 0, 0, 2}));
  b.initializer("cls_shape", ints({1, 1, kD}));
  b.node("LayerNormalization", {"x", "gamma", "beta"}, {"ln"});
  b.node("MatMul", {"ln", "wqkv"}, {"qkv"});
  b.node("Reshape", {"qkv", "heads_shape"}, {"qkv5"});
  set_attr(b.node("Transpose", {"qkv5"}, {"qkvt"}), "perm", std::vector<int64_t>{2, 0, 3, 1, 4});
  set_attr(b.node("Split", {"qkvt"}, {"q", "k", "v"}), "axis", int64_t{0});
  b.node("Squeeze", {"q", "axes0"}, {"q4"});
  b.node("Squeeze", {"k", "axes0"}, {"k4"});
  b.node("Squeeze", {"v", "axes0"}, {"v4"});
  set_attr(b.node("Transpose", {"k4"}, {"kt"}), "perm", std::vector<int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"q4", "kt"}, {"scores"});
  b.node("Mul", {"scores", "scale"}, {"scaled"});
  set_attr(b.node("Softmax", {"scaled"}, {"probs"}), "axis", int64_t{-1});
  b.node("MatMul", {"probs", "v4"}, {"ctx4"});
  set_attr(b.node("Transpose", {"ctx4"}, {"ctxt"}), "perm", std::vector<int64_t>{0, 2, 1, 3});
  b.node("Reshape", {"ctxt", "merge_shape"}, {"merged"});
  b.node("MatMul", {"merged", "wo"}, {"proj"});
  b.node("Add", {"proj", "x"}, {"res"});
  // GELU as torch.onnx writes it: x * 0.5 * (1 + erf(x / sqrt 2)).
  b.node("Div", {"res", "sqrt2"}, {"g0"});
  b.node("Erf", {"g0"}, {"g1"});
  b.node("Add", {"g1", "one"}, {"g2"});
  b.node("Mul", {"res", "g2"}, {"g3"});
  b.node("Mul", {"g3", "half"}, {"gelu"});
  b.node("Clip", {"gelu", "lo", "hi"}, {"clipped"});
  b.node("Slice", {"clipped", "starts", "ends", "axes1"}, {"sliced"});
  set_attr(b.node("Gather", {"sliced", "rows"}, {"gathered"}), "axis", int64_t{1});
  b.node("Shape", {"x"}, {"xshape"});
  b.node("Expand", {"cls_token", "xshape"}, {"cls"});
  b.initializer("cls_token", random_float(DType::Float32, {1, 1, kD}, 5));
  set_attr(b.node("Concat", {"gathered", "cls"}, {"joined"}), "axis", int64_t{1});
  b.node("Sub", {"joined", "half"}, {"above"});
  b.node("Relu", {"above"}, {"positive"});
  set_attr(b.node("Cast", {"positive"}, {"mask"}), "to", int64_t{9});  // bool: joined > 0.5
  b.node("Where", {"mask", "joined", "half"}, {"picked"});
  set_attr(b.node("ReduceMean", {"picked"}, {"mean"}), "axes", std::vector<int64_t>{2});
  b.node("Pad", {"picked", "pads"}, {"padded"});
  b.node("Unsqueeze", {"padded", "axes1"}, {"img"});
  onnx::NodeProto* pool = b.node("MaxPool", {"img"}, {"pooled"});
  set_attr(pool, "kernel_shape", std::vector<int64_t>{2, 3});
  set_attr(pool, "strides", std::vector<int64_t>{1, 2});
  b.node("GlobalAveragePool", {"pooled"}, {"gap"});
  b.output("mean", DType::Float32, {"batch", int64_t{13}, int64_t{1}});
  b.output("gap", DType::Float32, {"batch", int64_t{1}, int64_t{1}, int64_t{1}});
  return b.bytes();
}

TEST_F(CudaEngine, AttentionBlockRunsEntirelyOnTheDevice) {
  const std::string model = attention_block_model();
  auto cpu = Engine::load_from_memory(model);
  ExecutionContext cpu_ctx(cpu);
  for (Precision p : {Precision::Fp32, Precision::Fp16}) {
    auto gpu = Engine::load_from_memory(model, on_gpu(p));
    ExecutionContext ctx(gpu);
    for (int run = 0; run < 4; ++run) {
      const Tensor x = random_float(DType::Float32, {run % 2 + 1, 10, 24}, 60 + run);
      const std::vector<Tensor> want = cpu_ctx.run({{"x", x}});
      const std::vector<Tensor> got = ctx.run({{"x", x}});
      ASSERT_EQ(got.size(), 2u);
      for (size_t k = 0; k < 2; ++k)
        EXPECT_LT(max_relative_error(got[k], want[k]), p == Precision::Fp32 ? 1e-5 : 2e-2) << "output " << k << " run " << run;
      EXPECT_EQ(ctx.cpu_fallback_nodes(), std::vector<std::string>{}) << "run " << run;
    }
  }
}

TEST_F(CudaEngine, ContextsOnManyThreadsShareOneEngine) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu(Precision::Fp16));
  const std::string name = gpu->inputs()[0].name;
  constexpr int kThreads = 6, kRuns = 40;
  std::vector<Tensor> inputs, wants;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(resnet_input(1 + t % 3, 100 + t));
    wants.push_back(cpu_reference(inputs.back()));
  }
  std::vector<double> worst(kThreads, 0.0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        ExecutionContext ctx(gpu, {.priority = t % 2 ? cuda::CudaStream::greatest_priority() : 0});
        for (int r = 0; r < kRuns; ++r)
          worst[t] = std::max(worst[t], max_relative_error(ctx.run({{name, inputs[t]}})[0], wants[t]));
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_LT(worst[t], 1e-2) << "thread " << t;
  }
}

// A context's steady-state run must not wait for other streams: while stream A spins for 200 ms,
// a run enqueued on the context's own stream finishes first.
TEST_F(CudaEngine, NoHiddenSync) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu(Precision::Fp16));
  ExecutionContext ctx(gpu, {.output_device = Device::cuda(0)});
  const Tensor x = resnet_input(2, 3).to(Device::cuda(0));
  const std::string name = gpu->inputs()[0].name;
  std::vector<Tensor> outputs;
  for (int i = 0; i < 4; ++i) ctx.enqueue({{name, x}}, outputs);  // plan, replay, capture, graph
  ctx.synchronize();

  cuda::CudaStream a;
  launch_spin(200 * kMs, a);
  const auto start = std::chrono::steady_clock::now();
  ctx.enqueue({{name, x}}, outputs);
  cuda::CudaEvent done;
  done.record(static_cast<cudaStream_t>(ctx.cuda_stream()));
  ASSERT_FALSE(a.query()) << "enqueue blocked the host until another stream's spin ended";
  while (!done.query()) {
    ASSERT_FALSE(a.query()) << "the run finished only after another stream's spin: it waited for that stream";
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "the run never finished";
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  EXPECT_FALSE(a.query());
  a.synchronize();
}

// 1000 steady-state runs: the pool never grows and the driver's free memory does not move.
TEST_F(CudaEngine, SteadyStateMakesNoDriverAllocations) {
  auto gpu = Engine::load(test_model("resnet_tiny.onnx"), on_gpu(Precision::Fp16));
  for (bool graphs : {true, false}) {
    ExecutionContext ctx(gpu, {.cuda_graphs = graphs, .output_device = Device::cuda(0)});
    const Tensor x = resnet_input(4, 9);
    const std::string name = gpu->inputs()[0].name;
    std::vector<Tensor> outputs;
    for (int i = 0; i < 4; ++i) ctx.run({{name, x}}, outputs);
    const size_t reserved = pool().reserved_bytes();
    size_t free_before = 0, free_after = 0, total = 0;
    ASSERT_EQ(cudaMemGetInfo(&free_before, &total), cudaSuccess);
    for (int i = 0; i < 1000; ++i) ctx.enqueue({{name, x}}, outputs);
    ctx.synchronize();
    ASSERT_EQ(cudaMemGetInfo(&free_after, &total), cudaSuccess);
    EXPECT_EQ(pool().reserved_bytes(), reserved) << (graphs ? "graphs" : "no graphs");
    EXPECT_EQ(free_after, free_before) << (graphs ? "graphs" : "no graphs");
  }
}

}  // namespace

}  // namespace lre::test
