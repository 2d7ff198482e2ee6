// The `lre` command line: info, run, bench and conformance over the public engine API, and
// transcribe over the Whisper runtime.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"

namespace {

void add_target_options(CLI::App* cmd, lre::cli::TargetArgs& target) {
  cmd->add_option("--device", target.device, "cpu, cuda or cuda:N");
  cmd->add_option("--precision", target.precision, "fp32, fp16 or bf16 (fp16/bf16 on cuda)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lre::cli;
  CLI::App app{"lre: run ONNX models on the LRE runtime"};
  app.require_subcommand(1);

  InfoArgs info;
  auto* info_cmd = app.add_subcommand("info", "Show a model's inputs, outputs, ops, parameters and memory plan");
  info_cmd->add_option("model", info.model, "ONNX model file")->required();
  info_cmd->add_option("--batch", info.batch, "Size of the first dynamic dimension for the memory plan");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run a model once on .npy inputs and write .npy outputs");
  run_cmd->add_option("model", run.model, "ONNX model file")->required();
  run_cmd->add_option("--input,-i", run.inputs, "NAME=FILE.npy (or FILE.npy for a one-input model)")->required();
  run_cmd->add_option("--output-dir,-o", run.output_dir, "Directory for the output .npy files");
  run_cmd->add_option("--threads", run.threads, "CPU threads (0: all cores)");
  add_target_options(run_cmd, run.target);

  BenchArgs bench;
  auto* bench_cmd = app.add_subcommand("bench", "Measure latency percentiles and throughput");
  bench_cmd->add_option("model", bench.model, "ONNX model file")->required();
  bench_cmd->add_option("--batch", bench.batch, "Size of the first dynamic dimension");
  bench_cmd->add_option("--threads", bench.threads, "CPU threads (0: all cores)");
  bench_cmd->add_option("--iterations", bench.iterations, "Timed runs");
  bench_cmd->add_option("--warmup", bench.warmup, "Untimed runs first");
  bench_cmd->add_option("--shape", bench.shapes, "NAME=DxDxD: input shape override");
  bench_cmd->add_option("--contexts", bench.contexts, "Contexts run side by side, one thread (and stream) each");
  add_target_options(bench_cmd, bench.target);

  ConformanceArgs conf;
  auto* conf_cmd = app.add_subcommand("conformance", "Run ONNX backend test-data directories");
  conf_cmd->add_option("dir", conf.dir, "Directory searched for model.onnx + test_data_set_*")->required();
  add_target_options(conf_cmd, conf.target);
  conf_cmd->add_option("--filter", conf.filter, "Regular expression on the case path");
  conf_cmd->add_option("--jobs,-j", conf.jobs, "Cases run at once (0: one per core)");
  conf_cmd->add_option("--min-pass", conf.min_pass, "Exit with status 1 when fewer cases pass");
  conf_cmd->add_option("--timeout", conf.timeout_s, "Seconds before a case is stopped and failed");
  conf_cmd->add_flag("--verbose,-v", conf.verbose, "List passing cases too");

  TranscribeArgs tr;
  auto* tr_cmd = app.add_subcommand("transcribe", "Transcribe audio files with a Whisper checkpoint");
  tr_cmd->add_option("audio", tr.audio, "Audio files")->required();
  tr_cmd->add_option("--model,-m", tr.model, "Hugging Face Whisper checkpoint folder")->required();
  tr_cmd->add_option("--language", tr.language, "Spoken language (code or name); detected when left out");
  tr_cmd->add_option("--task", tr.task, "transcribe, or translate into English")
      ->check(CLI::IsMember({"transcribe", "translate"}));
  tr_cmd->add_option("--beam-size", tr.beam_size, "Beams at temperature 0 (1: greedy)");
  tr_cmd->add_option("--best-of", tr.best_of, "Samples at temperatures above 0; the most probable is kept");
  tr_cmd->add_option("--patience", tr.patience,
                     "Beam search ends once beam-size * patience hypotheses have ended (above 0)");
  tr_cmd->add_option("--temperature", tr.temperature, "First temperature; falls back in steps of 0.2");
  tr_cmd->add_flag("--no-timestamps", tr.no_timestamps, "Decode without timestamp tokens");
  tr_cmd->add_option("--initial-prompt", tr.initial_prompt, "Text that conditions the first window");
  tr_cmd->add_option("--output-format,-f", tr.output_format, "txt, json, srt or vtt")
      ->check(CLI::IsMember({"txt", "json", "srt", "vtt"}));
  tr_cmd->add_option("--output-dir,-o", tr.output_dir, "Directory for the output files");
  tr_cmd->add_option("--threads", tr.threads, "CPU threads (0: all cores)");
  add_target_options(tr_cmd, tr.target);

  CLI11_PARSE(app, argc, argv);
  try {
    if (*info_cmd) return cmd_info(info);
    if (*run_cmd) return cmd_run(run);
    if (*bench_cmd) return cmd_bench(bench);
    if (*conf_cmd) return cmd_conformance(conf);
    if (*tr_cmd) return cmd_transcribe(tr);
  } catch (const lre::Error& e) {
    std::fprintf(stderr, "lre: %s: %s\n", lre::error_code_name(e.code()), e.what());
    return e.code() == lre::ErrorCode::InvalidArgument ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lre: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
