// _pylre.WhisperModel: one WhisperEngine shared by every call, and runners (which serve one thread
// at a time) lent one per call from a pool, so calls from several Python threads run at once
// without the GIL, and later calls reuse what earlier ones set up (a CPU thread pool; a CUDA
// stream, scratch and graphs). Audio comes as a file path, an encoded file's bytes, or float32
// samples at 16 kHz. pylre/whisper.py gives it faster-whisper's signatures and result types.
#include "whisper_model.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "asr/beam_search.h"
#include "asr/decoding.h"
#include "asr/transcribe.h"
#include "asr/whisper_engine.h"
#include "audio/audio_file.h"
#include "audio/log_mel.h"
#include "cuda_streams.h"
#include "device_options.h"
#include "errors.h"
#include "lre/error.h"

namespace py = pybind11;

namespace lre::python {
namespace {

using asr::WhisperEngine;
using asr::WhisperRunner;

// CUDA runners make their device current on the calling thread; the caller's current device (the
// one torch thinks is current) is restored when the call ends.
class CallerDeviceGuard {
 public:
  explicit CallerDeviceGuard([[maybe_unused]] Device device) {
#if LRE_WITH_CUDA
    if (!device.is_cpu() && visible_cuda_devices() > device.index) scope_.emplace(device.index);
#endif
  }

 private:
#if LRE_WITH_CUDA
  std::optional<DeviceScope> scope_;
#endif
};

// The audio argument, taken apart with the GIL held; decode() runs without it.
class AudioInput {
 public:
  explicit AudioInput(const py::object& audio) {
    if (py::isinstance<py::str>(audio)) {
      kind_ = Kind::Path;
      path_ = audio.cast<std::string>();
      return;
    }
    if (py::isinstance<py::bytes>(audio)) {
      kind_ = Kind::Bytes;
      bytes_ = audio.cast<std::string>();
      return;
    }
    const py::array any = py::array::ensure(audio);
    if (!any)
      throw Error(ErrorCode::InvalidArgument, "audio: expected a path, a binary file or a 1-D float32 array, got " +
                                                  py::str(py::type::of(audio).attr("__name__")).cast<std::string>());
    // No silent conversion: float64 or int16 samples usually mean a different scale or rate too.
    if (!any.dtype().is(py::dtype::of<float>()))
      throw Error(ErrorCode::InvalidArgument, "audio: expected float32 samples in [-1, 1] at 16 kHz, got dtype " +
                                                  py::str(any.dtype()).cast<std::string>() +
                                                  " (convert with .astype(numpy.float32))");
    if (any.ndim() != 1)
      throw Error(ErrorCode::InvalidArgument,
                  "audio: expected a 1-D array of mono samples, got " + std::to_string(any.ndim()) + " dimensions");
    if (any.size() == 0) throw Error(ErrorCode::InvalidArgument, "audio: the array is empty (no samples)");
    const auto dense = py::array_t<float, py::array::c_style>::ensure(any);  // strided views are copied
    samples_ = std::span<const float>(dense.data(), static_cast<size_t>(dense.size()));
    array_ = dense;
  }

  // Mono float32 at 16 kHz. Call without the GIL: files are decoded here.
  std::span<const float> decode() {
    switch (kind_) {
      case Kind::Path:
        decoded_ = audio::load_audio(path_);
        return decoded_;
      case Kind::Bytes:
        decoded_ = audio::load_audio_from_memory(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size()), asr::kSampleRate,
            "audio bytes");
        return decoded_;
      case Kind::Samples:
        for (size_t i = 0; i < samples_.size(); ++i)
          if (!std::isfinite(samples_[i]))
            throw Error(ErrorCode::InvalidArgument, "audio: sample " + std::to_string(i) + " is not finite");
        return samples_;
    }
    return {};
  }

  // The file to decode; empty for bytes and arrays.
  const std::string& path() const { return path_; }

 private:
  enum class Kind { Path, Bytes, Samples };
  Kind kind_ = Kind::Samples;
  std::string path_;
  std::string bytes_;               // an encoded file's contents
  py::object array_;                // the caller's samples (or a dense copy), alive while referenced
  std::span<const float> samples_;  // into array_
  std::vector<float> decoded_;
};

class WhisperModel {
 public:
  WhisperModel(const std::string& path, const std::string& device, const std::optional<std::string>& precision,
               int threads)
      : device_(device == "auto" ? parse_device(std::nullopt) : parse_device(device)),
        precision_(precision ? parse_precision(precision) : device_.is_cpu() ? Precision::Fp32 : Precision::Fp16),
        threads_(threads) {
    if (threads < 0)
      throw Error(ErrorCode::InvalidArgument, "threads must be >= 0 (0: one per core), got " + std::to_string(threads));
    // Loading takes a while for big checkpoints: other Python threads run meanwhile.
    std::optional<Error> failure;
    {
      py::gil_scoped_release nogil;
      try {
        CallerDeviceGuard guard(device_);
        engine_ = WhisperEngine::load(path, {device_, precision_});
      } catch (const Error& e) {
        failure = e;
      }
    }
    if (failure) raise_load_error(*failure, path);
  }

  const WhisperEngine& engine() const { return *engine_; }
  Device device() const { return device_; }
  Precision precision() const { return precision_; }

  // Decodes `input`; a missing file is FileNotFoundError. Releases the GIL.
  std::span<const float> decode(AudioInput& input) {
    std::optional<Error> failure;
    std::span<const float> samples;
    {
      py::gil_scoped_release nogil;
      try {
        samples = input.decode();
      } catch (const Error& e) {
        failure = e;
      }
    }
    if (failure) {
      if (!input.path().empty()) raise_load_error(*failure, input.path());
      throw *failure;
    }
    return samples;
  }

  // Runs f(runner) without the GIL on a runner no other call holds. A runner whose call failed is
  // dropped rather than lent again, whatever state the failure left it in.
  template <typename F>
  void run(F&& f) {
    py::gil_scoped_release nogil;
    CallerDeviceGuard guard(device_);
    std::unique_ptr<WhisperRunner> runner = take_runner();
    f(*runner);
    give_back(std::move(runner));
  }

 private:
  std::unique_ptr<WhisperRunner> take_runner() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<WhisperRunner> runner = std::move(idle_.back());
        idle_.pop_back();
        return runner;
      }
    }
    return engine_->make_runner({.threads = threads_});
  }
  void give_back(std::unique_ptr<WhisperRunner> runner) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(runner));
  }

  Device device_;
  Precision precision_;
  int threads_;
  std::shared_ptr<const WhisperEngine> engine_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<WhisperRunner>> idle_;  // guarded by mutex_
};

// What pylre.WhisperModel.transcribe passes on, in faster-whisper's names; None where it allows it.
struct TranscribeArgs {
  std::optional<std::string> language;
  std::string task;
  int beam_size, best_of;
  double patience;
  std::optional<double> length_penalty;
  std::vector<double> temperatures;
  std::optional<double> compression_ratio_threshold, log_prob_threshold, no_speech_threshold;
  bool condition_on_previous_text;
  std::optional<std::string> initial_prompt, prefix;
  bool suppress_blank;
  std::optional<std::vector<int>> suppress_tokens;
  bool without_timestamps;
  double max_initial_timestamp;
};

std::string strip(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n\r");
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t\n\r") - b + 1);
}

// Checked before any audio is decoded, naming the Python argument at fault.
asr::TranscribeOptions transcribe_options(const asr::WhisperTokenizer& tokenizer, const TranscribeArgs& a) {
  const auto invalid = [](const std::string& message) { return Error(ErrorCode::InvalidArgument, message); };
  asr::TranscribeOptions o;
  asr::DecodingOptions& d = o.decoding;
  if (a.task == "transcribe") d.task = asr::WhisperTask::Transcribe;
  else if (a.task == "translate") d.task = asr::WhisperTask::Translate;
  else throw invalid("task '" + a.task + "': expected 'transcribe' or 'translate'");
  // English-only models transcribe English whatever is asked, as Whisper's do.
  if (a.language && !a.language->empty() && tokenizer.multilingual()) {
    tokenizer.language_token(*a.language);  // an unknown language fails here, before any work
    d.language = *a.language;
  }
  if (a.beam_size < 1) throw invalid("beam_size must be at least 1, got " + std::to_string(a.beam_size));
  if (a.best_of < 1) throw invalid("best_of must be at least 1, got " + std::to_string(a.best_of));
  if (!(a.patience > 0.0) || !std::isfinite(a.patience))
    throw invalid("patience must be a number above 0, got " + std::to_string(a.patience));
  if (a.beam_size > 1) asr::beam_max_candidates(a.beam_size, a.patience);
  d.beam_size = a.beam_size;
  d.best_of = a.best_of;
  d.patience = a.patience;
  if (a.length_penalty) {
    if (!(*a.length_penalty >= 0.0) || !std::isfinite(*a.length_penalty))
      throw invalid("length_penalty must be None or a number >= 0, got " + std::to_string(*a.length_penalty));
    d.length_penalty = *a.length_penalty;
  }
  if (a.temperatures.empty()) throw invalid("temperature: at least one value is needed");
  o.temperatures.clear();
  for (double t : a.temperatures) {
    if (!(t >= 0.0) || !std::isfinite(t))
      throw invalid("temperature: each value must be >= 0, got " + std::to_string(t));
    o.temperatures.push_back(static_cast<float>(t));
  }
  // None turns a check off; the C++ options spell that 0 (ratio, no-speech) and NaN (log-probability).
  o.compression_ratio_threshold = a.compression_ratio_threshold.value_or(0.0);
  o.logprob_threshold = a.log_prob_threshold.value_or(std::numeric_limits<double>::quiet_NaN());
  o.no_speech_threshold = a.no_speech_threshold.value_or(0.0);
  o.condition_on_previous_text = a.condition_on_previous_text;
  o.initial_prompt = a.initial_prompt.value_or("");
  // faster-whisper's spelling of a prefix: one leading space, as a word inside a sentence.
  if (a.prefix && !strip(*a.prefix).empty()) d.prefix = tokenizer.encode(" " + strip(*a.prefix));
  d.suppress_blank = a.suppress_blank;
  d.suppress_tokens = a.suppress_tokens.value_or(std::vector<int>{});
  for (int t : d.suppress_tokens)
    if (t < -1) throw invalid("suppress_tokens: " + std::to_string(t) + " is not a token id or -1");
  d.without_timestamps = a.without_timestamps;
  d.max_initial_timestamp = a.max_initial_timestamp;
  return o;
}

// Token sequences need not end on a character boundary (and a random model's rarely do): invalid
// UTF-8 becomes U+FFFD, as Whisper's own tokenizer decodes.
py::str text(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

// The segment's temperature as the caller wrote it (0.2, not float32's 0.20000000298...).
double caller_temperature(float used, const std::vector<double>& given) {
  for (double t : given)
    if (static_cast<float>(t) == used) return t;
  return used;
}

py::tuple transcribe(WhisperModel& model, const py::object& audio, const TranscribeArgs& args) {
  const asr::WhisperTokenizer& tokenizer = model.engine().tokenizer();
  const asr::TranscribeOptions options = transcribe_options(tokenizer, args);
  AudioInput input(audio);
  const std::span<const float> samples = model.decode(input);
  asr::Transcription result;
  model.run([&](WhisperRunner& runner) { result = asr::transcribe(runner, tokenizer, samples, options); });

  py::list segments;
  for (const asr::Segment& s : result.segments) {
    py::dict d;
    d["id"] = s.id;
    d["seek"] = s.seek;
    d["start"] = s.start;
    d["end"] = s.end;
    d["text"] = text(s.text);
    d["tokens"] = s.tokens;
    d["avg_logprob"] = s.avg_logprob;
    d["compression_ratio"] = s.compression_ratio;
    d["no_speech_prob"] = s.no_speech_prob;
    d["temperature"] = caller_temperature(s.temperature, args.temperatures);
    segments.append(d);
  }
  py::dict info;
  info["language"] = result.info.language;
  info["language_probability"] = result.info.language_probability;
  info["duration"] = result.info.duration;
  return py::make_tuple(segments, info);
}

// The language of the first 30 seconds, as transcribe() detects it when none is given.
py::tuple detect_language(WhisperModel& model, const py::object& audio) {
  const asr::WhisperTokenizer& tokenizer = model.engine().tokenizer();
  AudioInput input(audio);
  const std::span<const float> samples = model.decode(input);
  asr::LanguageDetection detected;
  model.run([&](WhisperRunner& runner) {
    const int mels = runner.config().num_mel_bins;
    const audio::LogMel mel(mels);
    const auto first = samples.first(std::min(samples.size(), static_cast<size_t>(asr::kWindowSamples)));
    const Tensor window =
        mel.compute(first, asr::kWindowSamples, runner.pool()).reshaped(Shape{1, mels, asr::kWindowFrames});
    asr::CrossKV cross;
    asr::CrossKV* slots[1] = {&cross};
    runner.encode(window, slots);
    detected = asr::detect_language(runner, tokenizer, cross);
  });
  std::vector<std::pair<std::string, double>> all = detected.probabilities;
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return py::make_tuple(detected.language, detected.probability, all);
}

}  // namespace

void register_whisper_model(py::module_& m) {
  m.def("can_decode_audio_files", &audio::can_decode_audio_files,
        "Whether audio paths and bytes can be decoded (False in a core built without FFmpeg)");
  py::class_<WhisperModel>(m, "WhisperModel", "A Whisper checkpoint loaded for one device; see pylre.WhisperModel")
      .def(py::init<const std::string&, const std::string&, const std::optional<std::string>&, int>(),
           py::arg("model_path"), py::arg("device"), py::arg("precision"), py::arg("threads"))
      .def(
          "transcribe",
          [](WhisperModel& model, const py::object& audio, std::optional<std::string> language, std::string task,
             int beam_size, int best_of, double patience, std::optional<double> length_penalty,
             std::vector<double> temperatures, std::optional<double> compression_ratio_threshold,
             std::optional<double> log_prob_threshold, std::optional<double> no_speech_threshold,
             bool condition_on_previous_text, std::optional<std::string> initial_prompt,
             std::optional<std::string> prefix, bool suppress_blank, std::optional<std::vector<int>> suppress_tokens,
             bool without_timestamps, double max_initial_timestamp) {
            return transcribe(model, audio,
                              TranscribeArgs{std::move(language), std::move(task), beam_size, best_of, patience,
                                             length_penalty, std::move(temperatures), compression_ratio_threshold,
                                             log_prob_threshold, no_speech_threshold, condition_on_previous_text,
                                             std::move(initial_prompt), std::move(prefix), suppress_blank,
                                             std::move(suppress_tokens), without_timestamps, max_initial_timestamp});
          },
          py::arg("audio"), py::kw_only(), py::arg("language"), py::arg("task"), py::arg("beam_size"),
          py::arg("best_of"), py::arg("patience"), py::arg("length_penalty"), py::arg("temperatures"),
          py::arg("compression_ratio_threshold"), py::arg("log_prob_threshold"), py::arg("no_speech_threshold"),
          py::arg("condition_on_previous_text"), py::arg("initial_prompt"), py::arg("prefix"),
          py::arg("suppress_blank"), py::arg("suppress_tokens"), py::arg("without_timestamps"),
          py::arg("max_initial_timestamp"),
          "(segments as dicts, info as a dict); every argument as pylre.WhisperModel.transcribe documents it")
      .def("detect_language", &detect_language, py::arg("audio"),
           "(language, probability, [(language, probability), ...] most probable first) of the first 30 s")
      .def_property_readonly("is_multilingual",
                             [](const WhisperModel& m) { return m.engine().tokenizer().multilingual(); })
      .def_property_readonly("device", [](const WhisperModel& m) { return m.device().to_string(); })
      .def_property_readonly("precision", [](const WhisperModel& m) { return precision_name(m.precision()); });
}

}  // namespace lre::python
