// `lre bench MODEL`: latency percentiles and throughput over repeated runs with random inputs,
// from one or several contexts, each driven by its own thread (and on a GPU, its own stream).
// On a GPU the inputs and outputs stay on the device, as they do for a caller feeding tensors
// from a framework; each run is enqueued and waited for, so latency is end to end.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "commands.h"

namespace lre::cli {

namespace {

struct Worker {
  std::unique_ptr<ExecutionContext> ctx;
  std::vector<Tensor> outputs;
  std::vector<double> ms;
};

}  // namespace

int cmd_bench(const BenchArgs& args) {
  if (args.iterations < 1 || args.batch < 1 || args.contexts < 1)
    throw Error(ErrorCode::InvalidArgument, "--iterations, --batch and --contexts must be at least 1");
  auto engine = Engine::load(args.model, engine_options(args.target));
  const Device device = engine->options().device;
  NamedTensors inputs = random_inputs(*engine, args.batch, parse_shape_overrides(args.shapes), 7);
  for (auto& [name, tensor] : inputs) tensor = tensor.to(device);

  std::vector<Worker> workers(static_cast<size_t>(args.contexts));
  for (Worker& w : workers) {
    w.ctx = std::make_unique<ExecutionContext>(engine, ContextOptions{.threads = args.threads, .output_device = device});
    for (int i = 0; i < args.warmup; ++i) {
      w.ctx->enqueue(inputs, w.outputs);
      w.ctx->synchronize();
    }
    w.ms.resize(static_cast<size_t>(args.iterations));
  }

  auto drive = [&](Worker& w) {
    for (int i = 0; i < args.iterations; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      w.ctx->enqueue(inputs, w.outputs);
      w.ctx->synchronize();
      w.ms[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  };
  auto begin = std::chrono::steady_clock::now();
  if (workers.size() == 1) {
    drive(workers[0]);
  } else {
    std::vector<std::thread> threads;
    for (Worker& w : workers) threads.emplace_back(drive, std::ref(w));
    for (std::thread& t : threads) t.join();
  }
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();

  std::vector<double> sorted;
  for (const Worker& w : workers) sorted.insert(sorted.end(), w.ms.begin(), w.ms.end());
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) { return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size())))]; };
  double mean = 0;
  for (double v : sorted) mean += v;
  mean /= static_cast<double>(sorted.size());
  const double runs = static_cast<double>(sorted.size());

  std::printf("model %s, device %s, precision %s, batch %d, contexts %d, threads %d, iterations %d (warm-up %d)\n",
              args.model.c_str(), device.to_string().c_str(), args.target.precision.c_str(), args.batch, args.contexts,
              workers[0].ctx->threads(), args.iterations, args.warmup);
  std::printf("latency ms: min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n", sorted.front(), pct(50), pct(90),
              pct(99), sorted.back(), mean);
  std::printf("throughput: %.1f inferences/s, %.1f samples/s\n", runs / total_s, runs * args.batch / total_s);
  std::printf("activation arena: %zu bytes per context\n", workers[0].ctx->arena_bytes());
  const std::vector<std::string> fallback = workers[0].ctx->cpu_fallback_nodes();
  if (!fallback.empty()) {
    std::printf("%zu nodes ran on the CPU (no device kernel):", fallback.size());
    for (const std::string& n : fallback) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace lre::cli
