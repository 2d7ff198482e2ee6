// `lre bench MODEL`: latency percentiles and throughput of one context over repeated runs with
// random inputs. Outputs are reused across runs, so steady-state runs allocate nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "commands.h"

namespace lre::cli {

int cmd_bench(const BenchArgs& args) {
  if (args.iterations < 1 || args.batch < 1) throw Error(ErrorCode::InvalidArgument, "--iterations and --batch must be at least 1");
  auto engine = Engine::load(args.model);
  ExecutionContext ctx(engine, {.threads = args.threads});
  NamedTensors inputs = random_inputs(*engine, args.batch, parse_shape_overrides(args.shapes), 7);
  std::vector<Tensor> outputs;
  for (int i = 0; i < args.warmup; ++i) ctx.run(inputs, outputs);

  std::vector<double> ms(static_cast<size_t>(args.iterations));
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < args.iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ctx.run(inputs, outputs);
    ms[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) { return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size())))]; };
  double mean = 0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(ms.size());

  std::printf("model %s, device cpu, batch %d, threads %d, iterations %d (warm-up %d)\n", args.model.c_str(), args.batch,
              ctx.threads(), args.iterations, args.warmup);
  std::printf("latency ms: min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n", sorted.front(), pct(50), pct(90),
              pct(99), sorted.back(), mean);
  std::printf("throughput: %.1f inferences/s, %.1f samples/s\n", args.iterations / total_s,
              args.iterations * static_cast<double>(args.batch) / total_s);
  std::printf("activation arena: %zu bytes\n", ctx.arena_bytes());
  return 0;
}

}  // namespace lre::cli
