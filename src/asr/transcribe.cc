// Whisper's long-form loop over 30-second windows: log-mel of each window, encode, decode with
// temperature fallback, segments at timestamp pairs, and a seek that follows the last timestamp so
// that a sentence cut by the window edge is decoded whole in the next window.
#include "asr/transcribe.h"

#include <algorithm>
#include <cmath>

#include "audio/log_mel.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

constexpr double kSecondsPerFrame = static_cast<double>(kHopLength) / kSampleRate;  // 0.01
constexpr int kInputStride = 2;  // mel frames per encoder frame, and per timestamp step of 0.02 s

bool failed(const DecodingResult& r, const TranscribeOptions& o) {
  if (o.compression_ratio_threshold > 0 && r.compression_ratio > o.compression_ratio_threshold) return true;
  if (!std::isnan(o.logprob_threshold) && r.avg_logprob < o.logprob_threshold) return true;
  return false;
}

}  // namespace

DecodingResult decode_with_fallback(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross, const TranscribeOptions& options,
                                    const DecodingOptions& decoding) {
  if (options.temperatures.empty()) throw Error(ErrorCode::InvalidArgument, "temperatures: at least one is needed");
  DecodingResult result;
  for (float t : options.temperatures) {
    DecodingOptions attempt = decoding;
    attempt.temperature = t;
    result = decode_window(runner, tokenizer, cross, attempt);
    // A silent window is not a failure to retry: the caller skips it.
    if (options.no_speech_threshold > 0 && result.no_speech_prob > options.no_speech_threshold) break;
    if (!failed(result, options)) break;
  }
  return result;
}

Transcription transcribe(WhisperRunner& runner, const WhisperTokenizer& tokenizer, std::span<const float> audio, const TranscribeOptions& options) {
  if (audio.empty()) throw Error(ErrorCode::InvalidArgument, "transcribe: the audio is empty (no samples)");
  const WhisperConfig& config = runner.config();
  const audio::LogMel mel(config.num_mel_bins);

  Transcription out;
  out.info.duration = static_cast<double>(audio.size()) / kSampleRate;
  const int64_t content_frames = static_cast<int64_t>(audio.size()) / kHopLength;

  DecodingOptions decoding = options.decoding;
  std::vector<int> all_tokens;
  size_t prompt_reset_since = 0;
  if (!options.initial_prompt.empty()) {
    const auto prompt = tokenizer.encode(" " + options.initial_prompt);
    all_tokens.insert(all_tokens.end(), prompt.begin(), prompt.end());
  }
  const int timestamp_begin = tokenizer.timestamp_begin();
  const auto is_ts = [&](int t) { return timestamp_begin >= 0 && t >= timestamp_begin; };
  const auto ts_seconds = [&](int t) { return (t - timestamp_begin) * kSecondsPerFrame * kInputStride; };

  CrossKV cross;
  CrossKV* slots[1] = {&cross};
  int64_t seek = 0;
  bool language_known = !decoding.language.empty() || !tokenizer.multilingual();
  while (seek < content_frames) {
    const int64_t segment_size = std::min<int64_t>(kWindowFrames, content_frames - seek);
    const double time_offset = static_cast<double>(seek) * kSecondsPerFrame;
    const size_t begin = static_cast<size_t>(seek) * kHopLength;
    const size_t count = std::min(audio.size() - begin, static_cast<size_t>(segment_size) * kHopLength);
    // Samples past the content are zeros, as Whisper pads the audio with 30 s of silence.
    Tensor window = mel.compute(audio.subspan(begin, count), kWindowSamples, runner.pool());
    window = window.reshaped(Shape{1, config.num_mel_bins, kWindowFrames});
    runner.encode(window, slots);

    if (!language_known) {
      // The first window decides the language of the whole file, as Whisper does.
      const LanguageDetection detected = detect_language(runner, tokenizer, cross);
      decoding.language = detected.language;
      out.info.language_probability = detected.probability;
      language_known = true;
    }
    decoding.prompt.assign(all_tokens.begin() + static_cast<std::ptrdiff_t>(prompt_reset_since), all_tokens.end());
    decoding.seed = options.decoding.seed + static_cast<uint64_t>(seek);
    const DecodingResult result = decode_with_fallback(runner, tokenizer, cross, options, decoding);
    // A prefix is how the audio begins, so it is forced on the first window only (as faster-whisper
    // does; forcing it on every window would repeat it at each 30-second boundary).
    decoding.prefix.clear();

    bool skip = options.no_speech_threshold > 0 && result.no_speech_prob > options.no_speech_threshold;
    if (!std::isnan(options.logprob_threshold) && result.avg_logprob > options.logprob_threshold) skip = false;
    if (skip) {
      seek += segment_size;
      if (options.progress) options.progress(std::min(1.0, static_cast<double>(seek) / content_frames));
      continue;
    }

    const std::vector<int>& tokens = result.tokens;
    const size_t first_segment = out.segments.size();
    const auto add = [&](double start, double end, std::vector<int> seg_tokens) {
      Segment s;
      s.seek = static_cast<int>(seek);
      s.start = start;
      s.end = end;
      s.text = tokenizer.decode(seg_tokens);
      s.tokens = std::move(seg_tokens);
      s.avg_logprob = result.avg_logprob;
      s.no_speech_prob = result.no_speech_prob;
      s.compression_ratio = result.compression_ratio;
      s.temperature = result.temperature;
      // Instantaneous or textless segments say nothing; Whisper blanks them, we leave them out.
      if (s.end <= s.start) return;
      if (s.text.find_first_not_of(" \t\n") == std::string::npos) return;
      out.segments.push_back(std::move(s));
    };

    const size_t n = tokens.size();
    const bool single_ending = n >= 2 && !is_ts(tokens[n - 2]) && is_ts(tokens[n - 1]);
    std::vector<size_t> slices;  // where a pair of consecutive timestamps closes one segment and opens the next
    for (size_t i = 1; i < n; ++i)
      if (is_ts(tokens[i - 1]) && is_ts(tokens[i])) slices.push_back(i);
    const double window_end = time_offset + static_cast<double>(segment_size) * kSecondsPerFrame;
    if (!slices.empty()) {
      if (single_ending) slices.push_back(n);
      size_t last = 0;
      for (size_t cut : slices) {
        std::vector<int> seg(tokens.begin() + static_cast<std::ptrdiff_t>(last),
                             tokens.begin() + static_cast<std::ptrdiff_t>(cut));
        const double start = time_offset + ts_seconds(seg.front());
        const double end = time_offset + ts_seconds(seg.back());
        add(std::min(start, window_end), std::min(end, window_end), std::move(seg));
        last = cut;
      }
      if (single_ending) {
        seek += segment_size;
      } else {
        // Resume at the last complete timestamp: the rest of the window is decoded again, whole.
        const int64_t last_ts_frames = static_cast<int64_t>(tokens[last - 1] - timestamp_begin) * kInputStride;
        seek += std::max<int64_t>(last_ts_frames, 1);
      }
    } else {
      double duration = static_cast<double>(segment_size) * kSecondsPerFrame;
      for (size_t i = n; i-- > 0;)
        if (is_ts(tokens[i])) {
          if (tokens[i] != timestamp_begin) duration = ts_seconds(tokens[i]);
          break;
        }
      add(time_offset, time_offset + std::min(duration, static_cast<double>(segment_size) * kSecondsPerFrame), tokens);
      seek += segment_size;
    }

    for (size_t i = first_segment; i < out.segments.size(); ++i) {
      out.segments[i].id = static_cast<int>(i);
      if (options.on_segment) options.on_segment(out.segments[i]);
    }
    all_tokens.insert(all_tokens.end(), tokens.begin(), tokens.end());
    // Text decoded at a high temperature is a poor prompt: it steers the next window astray.
    if (!options.condition_on_previous_text || result.temperature > 0.5f) prompt_reset_since = all_tokens.size();
    if (options.progress) options.progress(std::min(1.0, static_cast<double>(seek) / content_frames));
  }

  out.info.language =
      decoding.language.empty() ? "en" : tokenizer.language_code(tokenizer.language_token(decoding.language));
  for (const Segment& s : out.segments) out.text += s.text;
  return out;
}

}  // namespace lre::asr
