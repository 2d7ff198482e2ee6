// soxr behind a small streaming interface. soxr consumes its input in steps and holds back what
// its filter still needs, so each call loops until the input is used, and finish() flushes.
#include "audio/resample.h"

#include <soxr.h>

#include <string>

#include "lre/error.h"

namespace lre::audio {

namespace {

void check_rate(int rate, const char* what) {
  if (rate < 1 || rate > kMaxSampleRate)
    throw Error(ErrorCode::InvalidArgument, std::string("resample: ") + what + " " + std::to_string(rate) +
                                                " Hz is outside [1, " + std::to_string(kMaxSampleRate) + "] Hz");
}

}  // namespace

struct Resampler::Soxr {
  soxr_t handle = nullptr;
  ~Soxr() { soxr_delete(handle); }
};

Resampler::Resampler(int from_rate, int to_rate) : from_rate_(from_rate), to_rate_(to_rate) {
  check_rate(from_rate, "input rate");
  check_rate(to_rate, "output rate");
  if (from_rate == to_rate) return;
  // SOXR_HQ: 20-bit precision, linear phase, passband to 91% of the lower Nyquist; one thread,
  // since callers resample many files in parallel.
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t error = nullptr;
  soxr_ = std::make_unique<Soxr>();
  soxr_->handle = soxr_create(from_rate, to_rate, 1, &error, &io, &quality, &runtime);
  if (error != nullptr || soxr_->handle == nullptr)
    throw Error(ErrorCode::Internal, "resample " + std::to_string(from_rate) + " Hz -> " + std::to_string(to_rate) +
                                         " Hz: soxr_create failed: " + soxr_strerror(error));
}

Resampler::~Resampler() = default;

void Resampler::drain(const float* in, size_t n, std::vector<float>& out) {
  // Output per call is bounded by the ratio plus the filter's backlog; 64 spare slots absorb
  // rounding, and the loop covers whatever does not fit.
  const size_t chunk = static_cast<size_t>(static_cast<double>(n) * to_rate_ / from_rate_) + 64;
  size_t used = 0;
  for (;;) {
    const size_t before = out.size();
    out.resize(before + chunk);
    size_t idone = 0, odone = 0;
    soxr_error_t error = soxr_process(soxr_->handle, in == nullptr ? nullptr : in + used, n - used, &idone,
                                      out.data() + before, chunk, &odone);
    out.resize(before + odone);
    if (error != nullptr)
      throw Error(ErrorCode::Internal, std::string("resample: soxr_process failed: ") + soxr_strerror(error));
    used += idone;
    // Input: done once every sample is taken and the output had room to spare. Flush: done once
    // nothing more comes out.
    if (in != nullptr ? (used == n && odone < chunk) : odone == 0) return;
  }
}

void Resampler::push(std::span<const float> in, std::vector<float>& out) {
  if (finished_) throw Error(ErrorCode::Internal, "resample: samples pushed after finish()");
  if (in.empty()) return;
  if (!soxr_) {
    out.insert(out.end(), in.begin(), in.end());
    return;
  }
  drain(in.data(), in.size(), out);
}

void Resampler::finish(std::vector<float>& out) {
  if (finished_) return;
  finished_ = true;
  if (soxr_) drain(nullptr, 0, out);
}

std::vector<float> resample(std::span<const float> in, int from_rate, int to_rate) {
  Resampler resampler(from_rate, to_rate);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(static_cast<double>(in.size()) * to_rate / from_rate) + 1);
  resampler.push(in, out);
  resampler.finish(out);
  return out;
}

}  // namespace lre::audio
