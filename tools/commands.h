// The `lre` subcommands. Each returns the process exit code; errors propagate as lre::Error and are
// reported by main().
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lre/engine.h"

namespace lre::cli {

struct InfoArgs { std::string model; int batch = 1; };
// Where and how engines are built: --device cpu|cuda[:N], --precision fp32|fp16|bf16.
struct TargetArgs {
  std::string device = "cpu", precision = "fp32";
};
struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string output_dir = ".";
  int threads = 0;
  TargetArgs target;
};
struct BenchArgs {
  std::string model;
  int batch = 1, threads = 0, iterations = 100, warmup = 10;
  int contexts = 1;  // contexts run side by side, each from its own thread (on its own stream)
  std::vector<std::string> shapes;  // NAME=1x3x224x224 overrides
  TargetArgs target;
};
struct ConformanceArgs {
  std::string dir, filter;
  TargetArgs target;
  int jobs = 0, min_pass = 0, timeout_s = 120;
  bool verbose = false;
};

struct TranscribeArgs {
  std::vector<std::string> audio;
  std::string model, language, task = "transcribe", initial_prompt, output_format = "txt", output_dir = ".";
  TargetArgs target;
  int beam_size = 1, best_of = 5, threads = 0;
  double patience = 1.0;
  float temperature = 0.0f;  // the first of the fallback temperatures
  bool no_timestamps = false;
};

int cmd_info(const InfoArgs& args);
int cmd_run(const RunArgs& args);
int cmd_bench(const BenchArgs& args);
int cmd_conformance(const ConformanceArgs& args);
int cmd_transcribe(const TranscribeArgs& args);

// Inputs of the engine's declared shapes, dynamic dimensions set to `batch` for the first and 1
// for the rest unless `shapes` names the input; filled with seeded random values.
NamedTensors random_inputs(const Engine& engine, int batch, const std::map<std::string, Shape>& shapes, unsigned seed);
// Engine options from --device and --precision.
EngineOptions engine_options(const TargetArgs& target);
std::map<std::string, Shape> parse_shape_overrides(const std::vector<std::string>& specs);

}  // namespace lre::cli
