// Long-form transcription as Whisper does it: 30-second windows from a moving seek position, each
// decoded with temperature fallback, cut into segments at timestamp pairs, the next window starting
// at the last timestamp, and the previous text as the prompt of the next window.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "asr/decoding.h"
#include "asr/tokenizer.h"
#include "asr/whisper_runner.h"

namespace lre::asr {

struct Segment {
  int id = 0;
  int seek = 0;        // mel frame (10 ms) where its window started
  double start = 0.0;  // seconds
  double end = 0.0;
  std::string text;
  std::vector<int> tokens;  // text and timestamp tokens
  double avg_logprob = 0.0;
  double no_speech_prob = 0.0;
  double compression_ratio = 0.0;
  float temperature = 0.0f;
};

struct TranscribeOptions {
  // Language, task, beam size, timestamps, suppressions; temperature unused; prefix forced on the
  // first window only.
  DecodingOptions decoding;
  std::vector<float> temperatures = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};  // tried in order
  double compression_ratio_threshold = 2.4;  // above: decoding failed (repetition); <= 0: no check
  double logprob_threshold = -1.0;           // avg_logprob below: decoding failed; NaN: no check
  double no_speech_threshold = 0.6;          // above (with a failed logprob check): a silent window, skipped
  bool condition_on_previous_text = true;
  std::string initial_prompt;
  std::function<void(double)> progress;  // fraction of the audio done, after each window
  std::function<void(const Segment&)> on_segment;  // each segment as soon as it is final
};

struct TranscriptionInfo {
  std::string language;
  double language_probability = 1.0;
  double duration = 0.0;  // seconds of audio
};

struct Transcription {
  std::vector<Segment> segments;
  TranscriptionInfo info;
  std::string text;  // every segment's text, joined
};

inline constexpr int kSampleRate = 16000;
inline constexpr int kHopLength = 160;           // samples per mel frame
inline constexpr int kWindowFrames = 3000;       // mel frames in 30 s
inline constexpr int kWindowSamples = kWindowFrames * kHopLength;

// Decodes one window at each temperature in turn until the result passes the checks (or the
// window looks silent); returns the last attempt when none passes.
DecodingResult decode_with_fallback(WhisperRunner& runner, const WhisperTokenizer& tokenizer, const CrossKV& cross, const TranscribeOptions& options,
                                    const DecodingOptions& decoding);

// audio: mono float32 at 16 kHz, any length. Empty audio is an InvalidArgument error.
Transcription transcribe(WhisperRunner& runner, const WhisperTokenizer& tokenizer, std::span<const float> audio, const TranscribeOptions& options = {});

}  // namespace lre::asr
