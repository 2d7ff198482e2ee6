// Sample-rate conversion of mono float audio with libsoxr (high quality, linear phase), so that
// audio at any rate reaches the log-mel front end at 16 kHz without aliasing or a time shift.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace lre::audio {

// Rates outside [1, kMaxSampleRate] Hz are refused as InvalidArgument.
inline constexpr int kMaxSampleRate = 1'536'000;

// A streaming resampler: audio pushed in pieces gives the same output as resample() on the whole,
// which lets a decoder keep only the output rate's samples in memory. From n input samples it
// yields round(n * to_rate / from_rate) in all; equal rates pass samples through untouched.
class Resampler {
 public:
  Resampler(int from_rate, int to_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  int from_rate() const { return from_rate_; }
  int to_rate() const { return to_rate_; }

  // Appends what the samples so far make available to out.
  void push(std::span<const float> in, std::vector<float>& out);
  // Ends the stream: appends the samples the filter still holds. Nothing may be pushed after.
  void finish(std::vector<float>& out);

 private:
  struct Soxr;
  void drain(const float* in, size_t n, std::vector<float>& out);

  int from_rate_, to_rate_;
  std::unique_ptr<Soxr> soxr_;  // null when the rates are equal
  bool finished_ = false;
};

// Mono float samples at from_rate -> round(n * to_rate / from_rate) samples at to_rate.
std::vector<float> resample(std::span<const float> in, int from_rate, int to_rate);

}  // namespace lre::audio
