// Audio decoding and resampling against signals known in closed form: WAVs written here, encoded
// to FLAC, Vorbis, Opus, MP3 and AAC by the ffmpeg command line, speech from espeak-ng; plus
// damaged, empty and hostile inputs, each of which must give a clear lre::Error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "audio/audio_file.h"
#include "audio/resample.h"
#include "lre/error.h"

namespace lre::audio {
namespace {

namespace fs = std::filesystem;

// The test tone: left and right carry different tones, so a downmix that drops a channel or sums
// instead of averaging shows.
constexpr double kLeftHz = 440.0, kLeftAmplitude = 0.5;
constexpr double kRightHz = 1234.0, kRightAmplitude = 0.3;
constexpr int kToneRate = 44100;
constexpr double kToneSeconds = 1.5;
constexpr int kToneFrames = 66150;  // kToneRate * kToneSeconds

double left_at(double t) { return kLeftAmplitude * std::sin(2.0 * std::numbers::pi * kLeftHz * t); }
double right_at(double t) { return kRightAmplitude * std::sin(2.0 * std::numbers::pi * kRightHz * t); }
double mono_at(double t) { return 0.5 * (left_at(t) + right_at(t)); }

// The mono tone sampled at rate, the independent reference every decode is compared with.
std::vector<double> analytic_mono(int rate, int64_t n) {
  std::vector<double> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = mono_at(static_cast<double>(i) / rate);
  return x;
}

// Largest |got - want| over [from_s, to_s): the edges are left out, where the resampler's filter
// sees the signal start from silence.
double max_error(const std::vector<float>& got, const std::vector<double>& want, int rate, double from_s, double to_s) {
  double worst = 0.0;
  const size_t begin = static_cast<size_t>(from_s * rate);
  const size_t end = std::min({static_cast<size_t>(to_s * rate), got.size(), want.size()});
  for (size_t i = begin; i < end; ++i) worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]));
  return worst;
}

TEST(AudioResample, MatchesAnalyticSignalFromCommonRates) {
  for (int from : {8000, 22050, 44100, 48000, 96000}) {
    const int64_t n = from * 3 / 2;
    const std::vector<double> source = analytic_mono(from, n);
    const std::vector<float> in(source.begin(), source.end());
    const std::vector<float> out = resample(in, from, 16000);
    EXPECT_EQ(static_cast<int64_t>(out.size()), std::llround(static_cast<double>(n) * 16000 / from)) << from;
    // SOXR_HQ is 20-bit: errors near 1e-6; the bound leaves room for float32 input.
    EXPECT_LT(max_error(out, analytic_mono(16000, static_cast<int64_t>(out.size())), 16000, 0.1, 1.4), 2e-5) << from;
  }
}

TEST(AudioResample, EqualRatesPassThrough) {
  const std::vector<float> in = {0.1f, -0.2f, 0.3f, 1.0f, -1.0f};
  EXPECT_EQ(resample(in, 16000, 16000), in);
}

TEST(AudioResample, StreamingInPiecesEqualsOneShot) {
  const std::vector<double> source = analytic_mono(44100, 44100);
  const std::vector<float> in(source.begin(), source.end());
  const std::vector<float> whole = resample(in, 44100, 16000);
  Resampler resampler(44100, 16000);
  std::vector<float> pieces;
  std::mt19937 rng(7);
  for (size_t at = 0; at < in.size();) {
    const size_t n = std::min<size_t>(in.size() - at, std::uniform_int_distribution<size_t>(1, 5000)(rng));
    resampler.push(std::span(in).subspan(at, n), pieces);
    at += n;
  }
  resampler.finish(pieces);
  ASSERT_EQ(pieces.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(pieces[i], whole[i], 1e-6f) << i;
}

TEST(AudioResample, EmptyInputGivesEmptyOutput) { EXPECT_TRUE(resample({}, 44100, 16000).empty()); }

TEST(AudioResample, RejectsRatesOutOfRange) {
  const std::vector<float> in(100, 0.0f);
  for (auto [from, to] : {std::pair{0, 16000}, {-8000, 16000}, {16000, 0}, {kMaxSampleRate + 1, 16000}}) {
    try {
      resample(in, from, to);
      ADD_FAILURE() << from << " -> " << to << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    }
  }
}

#if LRE_WITH_FFMPEG

// Amplitude of the hz component over one second from start_s: with a 1 s window every whole
// frequency falls on a DFT bin, so a pure tone of amplitude a reads exactly a.
double tone_amplitude(const std::vector<float>& x, int rate, double hz, double start_s) {
  const size_t begin = static_cast<size_t>(start_s * rate);
  std::complex<double> sum = 0.0;
  for (int i = 0; i < rate; ++i)
    sum += static_cast<double>(x.at(begin + static_cast<size_t>(i))) *
           std::polar(1.0, -2.0 * std::numbers::pi * hz * i / rate);
  return 2.0 * std::abs(sum) / rate;
}

// ---- Fixtures: written on first use into a folder of this process, removed at exit -------------

enum class WavSamples { Int16, Int24, Float32 };

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// A RIFF/WAVE file: a fmt chunk (PCM, or IEEE float), then the data chunk holding
// frames * channels samples, interleaved.
std::string wav_bytes(int rate, int channels, WavSamples kind, const std::vector<double>& interleaved) {
  const int bytes_per_sample = kind == WavSamples::Int16 ? 2 : kind == WavSamples::Int24 ? 3 : 4;
  std::string data;
  for (double v : interleaved) {
    if (kind == WavSamples::Float32) {
      const float f = static_cast<float>(v);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put_le(data, bits, 4);
    } else {
      const double full_scale = kind == WavSamples::Int16 ? 32768.0 : 8388608.0;
      const auto q = static_cast<int64_t>(std::llround(std::clamp(v, -1.0, 1.0 - 1.0 / full_scale) * full_scale));
      put_le(data, static_cast<uint64_t>(q), bytes_per_sample);
    }
  }
  std::string fmt;
  put_le(fmt, kind == WavSamples::Float32 ? 3 : 1, 2);
  put_le(fmt, static_cast<uint64_t>(channels), 2);
  put_le(fmt, static_cast<uint64_t>(rate), 4);
  put_le(fmt, static_cast<uint64_t>(rate) * channels * bytes_per_sample, 4);
  put_le(fmt, static_cast<uint64_t>(channels * bytes_per_sample), 2);
  put_le(fmt, static_cast<uint64_t>(8 * bytes_per_sample), 2);
  std::string body = "WAVEfmt ";
  put_le(body, fmt.size(), 4);
  body += fmt + "data";
  put_le(body, data.size(), 4);
  body += data;
  std::string file = "RIFF";
  put_le(file, body.size(), 4);
  return file + body;
}

std::vector<double> tone_interleaved() {
  std::vector<double> x;
  x.reserve(2 * kToneFrames);
  for (int i = 0; i < kToneFrames; ++i) {
    const double t = static_cast<double>(i) / kToneRate;
    x.push_back(left_at(t));
    x.push_back(right_at(t));
  }
  return x;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Fixtures {
 public:
  static Fixtures& get() {
    static Fixtures fixtures;
    return fixtures;
  }
  ~Fixtures() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // tone_s16.wav, tone_s24.wav, tone_f32.wav: the test tone as written here. tone.<ext>: the
  // int16 WAV encoded by ffmpeg; tone_22k_mono.ogg: the same downmixed and resampled by ffmpeg.
  // speech.wav: espeak-ng.
  std::string path(const std::string& name) {
    const fs::path file = dir_ / name;
    if (fs::exists(file)) return file.string();
    if (name == "tone_s16.wav")
      write_file(file, wav_bytes(kToneRate, 2, WavSamples::Int16, tone_interleaved()));
    else if (name == "tone_s24.wav")
      write_file(file, wav_bytes(kToneRate, 2, WavSamples::Int24, tone_interleaved()));
    else if (name == "tone_f32.wav")
      write_file(file, wav_bytes(kToneRate, 2, WavSamples::Float32, tone_interleaved()));
    else if (name == "speech.wav")
      run("espeak-ng -w '" + file.string() + "' 'The quick brown fox jumps over the lazy dog.'");
    else if (name.starts_with("tone."))
      encode(path("tone_s16.wav"), file, "");
    else if (name == "tone_22k_mono.ogg")
      encode(path("tone_s16.wav"), file, "-ar 22050 -ac 1");
    else
      ADD_FAILURE() << "no fixture named " << name;
    return file.string();
  }

  const fs::path& dir() const { return dir_; }

  // A file written from the bytes given, for the damaged inputs.
  std::string write(const std::string& name, const std::string& bytes) {
    write_file(dir_ / name, bytes);
    return (dir_ / name).string();
  }

 private:
  Fixtures() : dir_(fs::temp_directory_path() / ("lre_audio_test_" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }

  static void encode(const std::string& wav, const fs::path& out, const std::string& options) {
    const std::string ext = out.extension().string();
    const std::string codec = ext == ".opus"                     ? "-c:a libopus -b:a 96k"
                              : ext == ".ogg"                    ? "-c:a libvorbis -q:a 5"
                              : ext == ".mp3"                    ? "-c:a libmp3lame -b:a 192k"
                              : (ext == ".m4a" || ext == ".aac") ? "-c:a aac -b:a 192k"
                                                                 : "";
    run("ffmpeg -nostdin -hide_banner -loglevel error -y -i '" + wav + "' " + options + " " + codec + " '" +
        out.string() + "'");
  }

  static void run(const std::string& command) {
    const int status = std::system((command + " > /dev/null 2>&1").c_str());
    if (status != 0)
      ADD_FAILURE() << "fixture command failed (" << status << "); ffmpeg and espeak-ng come from "
                    << "scripts/install-deps.sh: " << command;
  }

  fs::path dir_;
};

// Runs f, which must throw lre::Error with this code and a message containing each fragment.
void expect_error(const std::function<void()>& f, ErrorCode code, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << error_code_name(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "'" << fragment << "' not in: " << e.what();
  }
}

// ---- Lossless input: the analytic signal, tightly ------------------------------------------------

TEST(AudioFile, LosslessFormatsMatchAnalyticSignalAt16k) {
  // Tolerances: the sample quantisation (int16: 2^-16 after averaging) plus the resampler's 1e-6.
  const std::vector<std::pair<std::string, double>> cases = {
      {"tone_s16.wav", 1e-4}, {"tone_s24.wav", 1e-5}, {"tone_f32.wav", 1e-5}, {"tone.flac", 1e-4}};
  const int64_t expected = std::llround(kToneFrames * 16000.0 / kToneRate);
  for (const auto& [name, tolerance] : cases) {
    const std::vector<float> got = load_audio(Fixtures::get().path(name));
    EXPECT_EQ(static_cast<int64_t>(got.size()), expected) << name;
    EXPECT_LT(max_error(got, analytic_mono(16000, expected), 16000, 0.1, kToneSeconds - 0.1), tolerance) << name;
  }
}

TEST(AudioFile, SourceRateIsKeptExactlyWhenAskedFor) {
  // No resampling: each sample is the exact average of the two int16 channels.
  const std::vector<float> got = load_audio(Fixtures::get().path("tone_s16.wav"), kToneRate);
  ASSERT_EQ(got.size(), static_cast<size_t>(kToneFrames));
  for (int i = 0; i < kToneFrames; ++i) {
    const double t = static_cast<double>(i) / kToneRate;
    const double l = static_cast<double>(std::llround(left_at(t) * 32768.0)) / 32768.0;
    const double r = static_cast<double>(std::llround(right_at(t) * 32768.0)) / 32768.0;
    ASSERT_EQ(got[static_cast<size_t>(i)], static_cast<float>(0.5 * (l + r))) << i;
  }
}

TEST(AudioFile, OtherOutputRates) {
  for (int rate : {8000, 22050, 48000}) {
    const DecodedAudio audio = decode_audio(Fixtures::get().path("tone_s24.wav"), {.sample_rate = rate});
    const int64_t expected = std::llround(static_cast<double>(kToneFrames) * rate / kToneRate);
    EXPECT_EQ(audio.sample_rate, rate);
    EXPECT_EQ(static_cast<int64_t>(audio.samples.size()), expected) << rate;
    EXPECT_LT(max_error(audio.samples, analytic_mono(rate, expected), rate, 0.1, kToneSeconds - 0.1), 1e-5) << rate;
  }
}

// ---- Lossy input: duration and the energy at each tone ------------------------------------------

TEST(AudioFile, LossyFormatsKeepDurationAndTones) {
  // aligned: the container records the encoder's delay (Ogg pre-skip, the LAME header, an MP4 edit
  // list), so the decode lines up with the analytic signal sample for sample; raw ADTS AAC keeps
  // its 1024 priming samples.
  const struct {
    const char* name;
    bool aligned;
  } cases[] = {{"tone.ogg", true}, {"tone.opus", true}, {"tone.mp3", true}, {"tone.m4a", true}, {"tone.aac", false}};
  for (const auto& [name, aligned] : cases) {
    const std::vector<float> got = load_audio(Fixtures::get().path(name));
    // Within two codec frames (1152 samples at 44.1 kHz for MP3, the longest here): encoders
    // pad, and not every container says by how much.
    EXPECT_NEAR(static_cast<double>(got.size()) / 16000.0, kToneSeconds, 2 * 1152.0 / kToneRate) << name;
    ASSERT_GE(got.size(), size_t{16000 + 4000}) << name;
    // The MP3 comes out ~3% quieter; 8% still tells a tone from a dropped or summed channel.
    EXPECT_NEAR(tone_amplitude(got, 16000, kLeftHz, 0.25), 0.5 * kLeftAmplitude, 0.08 * 0.5 * kLeftAmplitude) << name;
    EXPECT_NEAR(tone_amplitude(got, 16000, kRightHz, 0.25), 0.5 * kRightAmplitude, 0.08 * 0.5 * kRightAmplitude)
        << name;
    EXPECT_LT(tone_amplitude(got, 16000, 800.0, 0.25), 0.005) << name;  // nothing where no tone was
    // Codec error is ~0.013 here; one sample of shift would be ~0.07 at 1234 Hz.
    if (aligned) {
      EXPECT_LT(max_error(got, analytic_mono(16000, static_cast<int64_t>(got.size())), 16000, 0.1, 1.4), 0.04) << name;
    }
    EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](float v) { return v >= -1.0f && v <= 1.0f; })) << name;
  }
}

TEST(AudioFile, ProbeAndDecodeDescribeTheSource) {
  const AudioInfo wav = probe_audio(Fixtures::get().path("tone_s16.wav"));
  EXPECT_EQ(wav.container, "wav");
  EXPECT_EQ(wav.codec, "pcm_s16le");
  EXPECT_EQ(wav.sample_rate, kToneRate);
  EXPECT_EQ(wav.channels, 2);
  EXPECT_DOUBLE_EQ(wav.duration_s, kToneSeconds);

  const DecodedAudio opus = decode_audio(Fixtures::get().path("tone.opus"));
  EXPECT_EQ(opus.source.container, "ogg");
  EXPECT_EQ(opus.source.codec, "opus");
  EXPECT_EQ(opus.source.sample_rate, 48000);  // Opus always decodes at 48 kHz
  EXPECT_EQ(opus.source.channels, 2);
  EXPECT_EQ(opus.sample_rate, 16000);
  EXPECT_NEAR(opus.duration_s(), kToneSeconds, 0.03);
}

TEST(AudioFile, MemoryInputEqualsFileInput) {
  for (const std::string name : {"tone_s16.wav", "tone.flac", "tone.mp3", "tone.m4a", "tone.opus"}) {
    const std::string path = Fixtures::get().path(name);
    const std::vector<uint8_t> bytes = read_file(path);
    EXPECT_EQ(load_audio_from_memory(bytes, 16000, name), load_audio(path)) << name;
    EXPECT_EQ(probe_audio_from_memory(bytes, name).codec, probe_audio(path).codec) << name;
  }
}

TEST(AudioFile, EspeakSpeechHasItsDurationAndEnergy) {
  const std::string path = Fixtures::get().path("speech.wav");
  // The length from the file's own header, read here: espeak-ng writes 16-bit mono at 22050 Hz.
  const std::vector<uint8_t> bytes = read_file(path);
  const auto data = std::search(bytes.begin(), bytes.end(), std::begin("data"), std::end("data") - 1);
  ASSERT_NE(data, bytes.end());
  const size_t at = static_cast<size_t>(data - bytes.begin()) + 4;
  const uint32_t data_bytes =
      bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | static_cast<uint32_t>(bytes[at + 3]) << 24;
  const double seconds = data_bytes / 2.0 / 22050.0;
  ASSERT_GT(seconds, 1.0);  // a sentence, not an empty file

  const DecodedAudio audio = decode_audio(path);
  EXPECT_EQ(audio.source.sample_rate, 22050);
  EXPECT_EQ(audio.source.channels, 1);
  EXPECT_EQ(static_cast<int64_t>(audio.samples.size()), std::llround(seconds * 16000.0));
  double energy = 0.0;
  for (float v : audio.samples) energy += static_cast<double>(v) * v;
  EXPECT_GT(std::sqrt(energy / static_cast<double>(audio.samples.size())), 0.02);  // RMS of speech, not silence
}

TEST(AudioFile, ChainedOggChangesRateMidStream) {
  // Two Ogg streams back to back (44.1 kHz stereo, then 22.05 kHz mono) are one valid file; the
  // resampler is restarted at the new rate and the tone runs on through both halves.
  std::vector<uint8_t> chained = read_file(Fixtures::get().path("tone.ogg"));
  const std::vector<uint8_t> tail = read_file(Fixtures::get().path("tone_22k_mono.ogg"));
  chained.insert(chained.end(), tail.begin(), tail.end());
  const DecodedAudio audio = decode_audio_from_memory(chained, {}, "chained.ogg");
  EXPECT_NEAR(audio.duration_s(), 2 * kToneSeconds, 0.05);
  ASSERT_GE(audio.samples.size(), size_t{16000 * 3 - 800});
  EXPECT_GT(tone_amplitude(audio.samples, 16000, kLeftHz, 0.25), 0.2);
  EXPECT_GT(tone_amplitude(audio.samples, 16000, kLeftHz, 1.75), 0.2);
}

// ---- Bad input: a clear lre::Error naming the input, never a crash or a hang --------------------

std::string tone_wav_with_header(int channels, uint32_t rate, int bits) {
  std::string bytes = wav_bytes(kToneRate, 2, WavSamples::Int16, tone_interleaved());
  const int block = channels * bits / 8;
  bytes.replace(22, 2, std::string{static_cast<char>(channels & 0xff), static_cast<char>((channels >> 8) & 0xff)});
  std::string rate_bytes, byte_rate, block_bytes, bits_bytes;
  put_le(rate_bytes, rate, 4);
  put_le(byte_rate, static_cast<uint64_t>(rate) * static_cast<uint64_t>(block) & 0xffffffffu, 4);
  put_le(block_bytes, static_cast<uint64_t>(block) & 0xffff, 2);
  put_le(bits_bytes, static_cast<uint64_t>(bits), 2);
  bytes.replace(24, 4, rate_bytes);
  bytes.replace(28, 4, byte_rate);
  bytes.replace(32, 2, block_bytes);
  bytes.replace(34, 2, bits_bytes);
  return bytes;
}

TEST(AudioFileBadInput, MissingFileDirectoryAndDevice) {
  auto& fixtures = Fixtures::get();
  const std::string missing = (fixtures.dir() / "does-not-exist.wav").string();
  expect_error([&] { load_audio(missing); }, ErrorCode::Io, {missing, "cannot open"});
  const std::string dir = fixtures.dir().string();
  expect_error([&] { load_audio(dir); }, ErrorCode::Io, {dir, "directory"});
  expect_error([&] { load_audio("/dev/zero"); }, ErrorCode::Io, {"/dev/zero", "not a regular file"});
  expect_error([&] { load_audio(""); }, ErrorCode::InvalidArgument, {"empty"});
}

TEST(AudioFileBadInput, EmptyTextImageAndRandomBytes) {
  auto& fixtures = Fixtures::get();
  const std::string empty = fixtures.write("empty.wav", "");
  expect_error([&] { load_audio(empty); }, ErrorCode::InvalidArgument, {empty, "empty"});
  expect_error([&] { load_audio_from_memory({}, 16000, "upload.wav"); }, ErrorCode::InvalidArgument,
               {"upload.wav", "empty"});

  std::string text;
  for (int i = 0; i < 40; ++i) text += "This is a text file, not audio. ";
  for (const std::string name : {"notes.txt", "notes.wav", "notes"}) {
    const std::string path = fixtures.write(name, text);
    expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path});
  }

  // A PNG signature and header chunk, then noise: FFmpeg sees an image, which has no audio.
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0", 29);
  std::mt19937 rng(3);
  for (int i = 0; i < 4000; ++i) png.push_back(static_cast<char>(rng()));
  const std::string image = fixtures.write("picture.png", png);
  expect_error([&] { load_audio(image); }, ErrorCode::InvalidArgument, {image, "no audio stream"});

  for (const std::string name : {"noise.bin", "noise.mp3", "noise.wav", "noise.ogg"}) {
    std::string noise;
    for (int i = 0; i < 100000; ++i) noise.push_back(static_cast<char>(rng()));
    const std::string path = fixtures.write(name, noise);
    expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path});
    const std::vector<uint8_t> bytes(noise.begin(), noise.end());
    expect_error([&] { load_audio_from_memory(bytes, 16000, name); }, ErrorCode::InvalidArgument, {name});
  }
}

TEST(AudioFileBadInput, TruncatedFiles) {
  auto& fixtures = Fixtures::get();
  const std::vector<uint8_t> wav = read_file(fixtures.path("tone_s16.wav"));
  auto cut = [&](const std::vector<uint8_t>& bytes, size_t n) {
    return std::string(bytes.begin(), bytes.begin() + static_cast<long>(n));
  };
  // In the middle of the data chunk, on a sample-frame boundary (FFmpeg alone would decode the
  // rest without complaint) and off one; then the 44-byte header alone.
  for (size_t n : {size_t{44 + 4 * 30000}, size_t{44 + 4 * 30000 + 3}, size_t{44}}) {
    const std::string path = fixtures.write("cut_" + std::to_string(n) + ".wav", cut(wav, n));
    expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path, "truncated"});
  }
  // Compressed files cut in half: whatever stage notices, the file is refused.
  for (const std::string name : {"tone.flac", "tone.mp3", "tone.ogg", "tone.opus", "tone.m4a"}) {
    const std::vector<uint8_t> bytes = read_file(fixtures.path(name));
    const std::string path = fixtures.write("half_" + name, cut(bytes, bytes.size() / 2));
    expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path});
  }
}

TEST(AudioFileBadInput, AbsurdWavHeaders) {
  auto& fixtures = Fixtures::get();
  const struct {
    const char* name;
    int channels;
    uint32_t rate;
    int bits;
    ErrorCode code;
    const char* fragment;
  } cases[] = {
      {"zero_channels.wav", 0, 44100, 16, ErrorCode::InvalidArgument, "0 channels"},
      {"many_channels.wav", 65535, 44100, 16, ErrorCode::InvalidArgument, "65535 channels"},
      {"zero_rate.wav", 2, 0, 16, ErrorCode::InvalidArgument, "sample rate"},
      {"huge_rate.wav", 2, 2000000000u, 16, ErrorCode::InvalidArgument, "sample rate"},
      {"zero_bits.wav", 2, 44100, 0, ErrorCode::Unsupported, "codec"},
  };
  for (const auto& c : cases) {
    const std::string path = fixtures.write(c.name, tone_wav_with_header(c.channels, c.rate, c.bits));
    expect_error([&] { load_audio(path); }, c.code, {path, c.fragment});
  }
}

TEST(AudioFileBadInput, NonFiniteFloatSamples) {
  std::vector<double> x = tone_interleaved();
  x[2 * 20000] = std::numeric_limits<double>::quiet_NaN();
  x[2 * 30000 + 1] = std::numeric_limits<double>::infinity();
  const std::string path = Fixtures::get().write("nan.wav", wav_bytes(kToneRate, 2, WavSamples::Float32, x));
  expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path, "NaN or infinite"});
}

TEST(AudioFileBadInput, LongerThanTheLimit) {
  // Refused from the header's length (WAV) and, where the length is only estimated, while
  // decoding (raw ADTS AAC).
  for (const std::string name : {"tone_s16.wav", "tone.aac"}) {
    const std::string path = Fixtures::get().path(name);
    expect_error([&] { decode_audio(path, {.max_duration_s = 0.5}); }, ErrorCode::InvalidArgument,
                 {path, "the limit is 0.500 s"});
  }
}

TEST(AudioFileBadInput, ReferencesToOtherFilesAreNotFollowed) {
  // A concat list and an HLS playlist naming a real audio file beside them: reading it would let
  // an upload reach files on the server.
  auto& fixtures = Fixtures::get();
  const std::string target = fs::path(fixtures.path("tone_s16.wav")).filename().string();
  const std::string concat = fixtures.write("list.ffconcat", "ffconcat version 1.0\nfile '" + target + "'\n");
  const std::string hls =
      fixtures.write("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.5,\n" + target + "\n#EXT-X-ENDLIST\n");
  for (const std::string& path : {concat, hls})
    expect_error([&] { load_audio(path); }, ErrorCode::InvalidArgument, {path});
}

TEST(AudioFileBadInput, BadOptions) {
  const std::string path = Fixtures::get().path("tone_s16.wav");
  expect_error([&] { load_audio(path, 0); }, ErrorCode::InvalidArgument, {"output sample rate"});
  expect_error([&] { decode_audio(path, {.max_duration_s = 0.0}); }, ErrorCode::InvalidArgument, {"max_duration_s"});
}

TEST(AudioFile, CanDecodeAudioFiles) { EXPECT_TRUE(can_decode_audio_files()); }

#else  // without FFmpeg: every decoding entry point says how to get audio in instead

TEST(AudioFile, WithoutFfmpegEveryEntryPointIsUnsupported) {
  EXPECT_FALSE(can_decode_audio_files());
  const std::vector<uint8_t> bytes(100, 0);
  const std::vector<std::function<void()>> calls = {
      [] { load_audio("speech.wav"); },   [&] { load_audio_from_memory(bytes); },
      [] { decode_audio("speech.wav"); }, [&] { decode_audio_from_memory(bytes); },
      [] { probe_audio("speech.wav"); },  [&] { probe_audio_from_memory(bytes); }};
  for (const auto& call : calls) {
    try {
      call();
      ADD_FAILURE() << "decoded without FFmpeg";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Unsupported);
      EXPECT_NE(std::string(e.what()).find("-DLRE_FFMPEG=ON"), std::string::npos) << e.what();
    }
  }
}

#endif  // LRE_WITH_FFMPEG

}  // namespace
}  // namespace lre::audio
