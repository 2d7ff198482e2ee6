// `lre transcribe`: Whisper transcription of audio files on the CPU, printing segments as they are
// decoded and writing one txt, json, srt or vtt file per input, named after it.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "asr/beam_search.h"
#include "asr/transcribe.h"
#include "asr/whisper_engine.h"
#include "audio/audio_file.h"
#include "commands.h"
#include "lre/error.h"

namespace lre::cli {
namespace {

namespace fs = std::filesystem;
using asr::Segment;
using asr::Transcription;

// 01:02.345, or 1:02:03.456 past an hour; `comma` for SRT, which also always shows hours.
std::string timestamp(double seconds, bool hours, char decimal) {
  const long ms = std::lround(std::max(seconds, 0.0) * 1000.0);
  const long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  char buf[48];
  if (hours || h > 0)
    std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld%c%03ld", h, m, s, decimal, frac);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld%c%03ld", m, s, decimal, frac);
  return buf;
}

std::string trimmed(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return text.substr(b, text.find_last_not_of(" \t\n") - b + 1);
}

std::string render(const Transcription& t, const std::string& format) {
  std::string out;
  if (format == "txt") {
    for (const Segment& s : t.segments) out += trimmed(s.text) + "\n";
  } else if (format == "srt") {
    for (size_t i = 0; i < t.segments.size(); ++i) {
      const Segment& s = t.segments[i];
      out += std::to_string(i + 1) + "\n" + timestamp(s.start, true, ',') + " --> " + timestamp(s.end, true, ',') +
             "\n" + trimmed(s.text) + "\n\n";
    }
  } else if (format == "vtt") {
    out = "WEBVTT\n\n";
    for (const Segment& s : t.segments)
      out += timestamp(s.start, false, '.') + " --> " + timestamp(s.end, false, '.') + "\n" + trimmed(s.text) + "\n\n";
  } else {
    nlohmann::json segments = nlohmann::json::array();
    for (const Segment& s : t.segments)
      segments.push_back({{"id", s.id}, {"seek", s.seek}, {"start", s.start}, {"end", s.end}, {"text", s.text},
                          {"tokens", s.tokens}, {"temperature", s.temperature}, {"avg_logprob", s.avg_logprob},
                          {"compression_ratio", s.compression_ratio}, {"no_speech_prob", s.no_speech_prob}});
    const nlohmann::json doc = {{"text", t.text}, {"segments", segments}, {"language", t.info.language},
                                {"language_probability", t.info.language_probability}, {"duration", t.info.duration}};
    // Tokens of random or damaged models may not form valid UTF-8; replace rather than fail.
    out = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return out;
}

void draw_progress(double fraction) {
  const int width = 40, filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r[%s] %3d%%", bar.c_str(), static_cast<int>(fraction * 100));
  if (fraction >= 1.0) std::fprintf(stderr, "\r%*s\r", width + 8, "");
  std::fflush(stderr);
}

}  // namespace

int cmd_transcribe(const TranscribeArgs& args) {
  if (!fs::is_directory(args.model))
    throw Error(ErrorCode::Io,
                "--model " + args.model + ": no such directory (expected a Hugging Face Whisper checkpoint folder)");
  if (args.beam_size < 1) throw Error(ErrorCode::InvalidArgument, "--beam-size must be at least 1");
  if (args.best_of < 1) throw Error(ErrorCode::InvalidArgument, "--best-of must be at least 1");
  if (!(args.patience > 0.0) || !std::isfinite(args.patience))
    throw Error(ErrorCode::InvalidArgument, "--patience must be a number above 0");
  if (args.beam_size > 1) asr::beam_max_candidates(args.beam_size, args.patience);  // before the model loads
  if (args.temperature < 0.0f || args.temperature > 1.0f)
    throw Error(ErrorCode::InvalidArgument, "--temperature must be in [0, 1]");

  const EngineOptions target = engine_options(args.target);
  const auto engine = asr::WhisperEngine::load(args.model, {target.device, target.precision});
  const asr::WhisperTokenizer& tokenizer = engine->tokenizer();
  const auto runner = engine->make_runner({.threads = args.threads});

  asr::TranscribeOptions options;
  options.decoding.task = args.task == "translate" ? asr::WhisperTask::Translate : asr::WhisperTask::Transcribe;
  options.decoding.language = args.language;
  if (!args.language.empty()) tokenizer.language_token(args.language);  // fails early on an unknown language
  options.decoding.beam_size = args.beam_size;
  options.decoding.best_of = args.best_of;
  options.decoding.patience = args.patience;
  options.decoding.without_timestamps = args.no_timestamps;
  options.initial_prompt = args.initial_prompt;
  // Fallback climbs from the given temperature in steps of 0.2, as Whisper's command line does.
  options.temperatures.clear();
  for (float t = args.temperature; t <= 1.0f + 1e-6f; t += 0.2f) options.temperatures.push_back(t);

  const bool tty = isatty(fileno(stderr));
  fs::create_directories(args.output_dir);
  for (const std::string& path : args.audio) {
    const std::vector<float> samples = audio::load_audio(path);
    if (tty && args.audio.size() > 1) std::fprintf(stderr, "%s\n", path.c_str());
    const bool long_audio = samples.size() > static_cast<size_t>(asr::kWindowSamples);
    options.progress = tty && long_audio ? std::function<void(double)>(draw_progress) : nullptr;
    options.on_segment = [&](const Segment& s) {
      if (tty && long_audio) std::fprintf(stderr, "\r%48s\r", "");
      std::printf("[%s --> %s] %s\n", timestamp(s.start, false, '.').c_str(), timestamp(s.end, false, '.').c_str(),
                  trimmed(s.text).c_str());
      std::fflush(stdout);
    };
    const Transcription result = asr::transcribe(*runner, tokenizer, samples, options);
    const fs::path out = fs::path(args.output_dir) / (fs::path(path).stem().string() + "." + args.output_format);
    std::ofstream file(out, std::ios::binary);
    file << render(result, args.output_format);
    if (!file) throw Error(ErrorCode::Io, "cannot write " + out.string());
    std::fprintf(stderr, "%s: %s, %.1f s, language %s -> %s\n", path.c_str(),
                 std::to_string(result.segments.size()).append(" segments").c_str(), result.info.duration,
                 result.info.language.c_str(), out.string().c_str());
  }
  return 0;
}

}  // namespace lre::cli
