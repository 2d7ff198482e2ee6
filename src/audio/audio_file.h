// Audio files (WAV, FLAC, Ogg Vorbis/Opus, MP3, M4A/AAC and whatever else FFmpeg reads) decoded to
// mono float32 at the rate the log-mel front end wants (16 kHz). Builds without FFmpeg
// (LRE_FFMPEG=OFF) keep this API and throw Unsupported from every decoding function.
//
// Policy, so that a damaged upload fails loudly instead of being transcribed half-silent:
//  - Any error FFmpeg reports while reading or decoding (a damaged packet, a checksum mismatch,
//    a frame flagged corrupt) fails the whole file with InvalidArgument, quoting FFmpeg's message;
//    decoders are told to report minor damage rather than conceal it.
//  - Truncation: a WAV whose data chunk is shorter than its RIFF header says, or any file that
//    decodes shorter than its container states (a FLAC's STREAMINFO, an MP3's Xing header, Ogg
//    granules, an MP4 edit list) by more than 10 ms (lossless codecs) or 0.25 s + 0.5% (lossy
//    ones, whose stated length counts priming and padding), is reported as truncated. Lengths
//    only estimated from the bitrate are not checked; there the audio up to the cut is returned.
//  - No audio stream, an absurd header (no channels, more than 512, a rate outside
//    [1, kMaxSampleRate] of resample.h), zero decoded samples, or NaN/infinite samples:
//    InvalidArgument. A codec this FFmpeg cannot decode: Unsupported.
//  - Missing or unreadable files, directories, devices and FIFOs, and read failures: Io.
//  - Audio longer than DecodeOptions::max_duration_s is refused, from the stated length before
//    decoding and from the decoded length while decoding, so a small hostile file cannot expand
//    into unbounded memory.
// Only the bytes given are read: a playlist, concat list or reference that names other files or
// URLs fails rather than being followed. Channels are averaged into one; samples are clamped to
// [-1, 1] after resampling (as a 16-bit conversion would clip them).
// FFmpeg's own log output is silenced process-wide (the library never prints); its error lines
// are folded into the lre::Error messages instead.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lre::audio {

// Four hours: long enough for any meeting or lecture, while the decoded 16 kHz output stays below
// one gigabyte.
inline constexpr double kDefaultMaxAudioDurationS = 4 * 3600.0;

// What the file holds, before downmixing and resampling.
struct AudioInfo {
  std::string container;  // FFmpeg's demuxer name: "wav", "flac", "ogg", "mp3", "mov,mp4,m4a,3gp,3g2,mj2", ...
  std::string codec;      // "pcm_s16le", "flac", "vorbis", "opus", "mp3", "aac", ...
  int sample_rate = 0;    // Hz
  int channels = 0;
  double duration_s = 0.0;  // as the container declares it; 0 when it declares none
};

struct DecodeOptions {
  int sample_rate = 16000;  // of the output, Hz
  double max_duration_s = kDefaultMaxAudioDurationS;
};

struct DecodedAudio {
  std::vector<float> samples;  // (samples): mono, in [-1, 1], at sample_rate
  int sample_rate = 0;
  AudioInfo source;
  double duration_s() const { return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0; }
};

// False in builds without FFmpeg, where every function below throws Unsupported.
bool can_decode_audio_files();

// Decodes a whole file. name (for memory input) is used in error messages and as a hint to
// FFmpeg's format probing through its extension, like a path's.
DecodedAudio decode_audio(const std::string& path, const DecodeOptions& options = {});
DecodedAudio decode_audio_from_memory(std::span<const uint8_t> bytes, const DecodeOptions& options = {},
                                      const std::string& name = "<memory>");

// Mono float32 in [-1, 1] at sample_rate: what Whisper's load_audio returns.
std::vector<float> load_audio(const std::string& path, int sample_rate = 16000);
std::vector<float> load_audio_from_memory(std::span<const uint8_t> bytes, int sample_rate = 16000,
                                          const std::string& name = "<memory>");

// Reads the header (and, for formats that need it, the first packets) without decoding the rest:
// a cheap check of an upload before it is queued.
AudioInfo probe_audio(const std::string& path);
AudioInfo probe_audio_from_memory(std::span<const uint8_t> bytes, const std::string& name = "<memory>");

}  // namespace lre::audio
