// `lre info MODEL`: inputs, outputs, opsets, op counts, parameters and the memory plan.
#include <cstdio>

#include "commands.h"

namespace lre::cli {

namespace {
std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (b >= 1024 && u < 3) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", b, units[u]);
  return buf;
}
}  // namespace

int cmd_info(const InfoArgs& args) {
  auto engine = Engine::load(args.model);
  const ModelSummary& s = engine->summary();
  std::printf("model:      %s\n", args.model.c_str());
  std::printf("graph:      %s\n", s.name.c_str());
  if (!s.producer.empty()) std::printf("producer:   %s\n", s.producer.c_str());
  std::printf("ir version: %lld\n", static_cast<long long>(s.ir_version));
  std::printf("opsets:    ");
  for (const auto& [domain, v] : s.opsets) std::printf(" %s=%lld", domain.empty() ? "ai.onnx" : domain.c_str(), static_cast<long long>(v));
  std::printf("\ninputs:\n");
  for (const auto& in : engine->inputs()) std::printf("  %-24s %-8s %s\n", in.name.c_str(), dtype_name(in.dtype), in.shape_string().c_str());
  std::printf("outputs:\n");
  for (const auto& out : engine->outputs())
    std::printf("  %-24s %-8s %s\n", out.name.c_str(), dtype_name(out.dtype), out.shape_string().c_str());
  std::printf("parameters: %lld (%s)\n", static_cast<long long>(s.parameters), human_bytes(static_cast<double>(s.parameter_bytes)).c_str());
  std::printf("nodes:      %d loaded, %d after constant folding, Conv+BatchNormalization fusion and dead-node removal\n", s.nodes_loaded, s.nodes_compiled);
  std::printf("ops:\n");
  for (const auto& [op, n] : s.op_counts) std::printf("  %-24s %d\n", op.c_str(), n);

  ExecutionContext ctx(engine, {.threads = 1});
  NamedTensors inputs = random_inputs(*engine, args.batch, {}, 1);
  ctx.run(inputs);
  ctx.run(inputs);  // the second run uses the plan the first one made
  std::printf("memory plan (batch %d): %s activation arena\n", args.batch, human_bytes(static_cast<double>(ctx.arena_bytes())).c_str());
  return 0;
}

}  // namespace lre::cli
