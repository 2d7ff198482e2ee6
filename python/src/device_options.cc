// Device and precision strings: one parser for every pylre class.
#include "device_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cuda_streams.h"
#include "lre/error.h"

namespace lre::python {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

// No device asked for means cuda:0 where the build has CUDA and a GPU is visible, else cpu: a
// CUDA build on a machine without a GPU still runs, and code written for either runs on both.
Device parse_device(const std::optional<std::string>& text) {
  if (!text) return visible_cuda_devices() > 0 ? Device::cuda(0) : Device::cpu();
  std::string d = lower(*text);
  if (d == "cpu") return Device::cpu();
  if (d == "cuda" || d == "gpu") return Device::cuda(0);
  if (d.starts_with("cuda:")) {
    int index = -1;
    auto [end, ec] = std::from_chars(d.data() + 5, d.data() + d.size(), index);
    if (ec == std::errc() && end == d.data() + d.size() && index >= 0) return Device::cuda(index);
  }
  throw Error(ErrorCode::InvalidArgument, "device '" + *text + "': expected None, 'cpu', 'cuda' or 'cuda:N'");
}

Precision parse_precision(const std::optional<std::string>& text) {
  if (!text) return Precision::Fp32;
  std::string p = lower(*text);
  if (p == "fp32" || p == "float32") return Precision::Fp32;
  if (p == "fp16" || p == "float16" || p == "half") return Precision::Fp16;
  if (p == "bf16" || p == "bfloat16") return Precision::Bf16;
  throw Error(ErrorCode::InvalidArgument, "precision '" + *text + "': expected None, 'fp32', 'fp16' or 'bf16'");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Fp32: return "float32";
    case Precision::Fp16: return "float16";
    case Precision::Bf16: return "bfloat16";
  }
  return "float32";
}

}  // namespace lre::python
