// Random model inputs for `lre info` and `lre bench`: floats in [-1, 1), integers in [0, 8), so
// index-like inputs stay in range for typical embedding and gather tables. Also the engine
// options every subcommand builds from --device and --precision.
#include <random>

#include "commands.h"
#include "core/dispatch.h"

namespace lre::cli {

std::map<std::string, Shape> parse_shape_overrides(const std::vector<std::string>& specs) {
  std::map<std::string, Shape> out;
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos) throw Error(ErrorCode::InvalidArgument, "--shape expects NAME=DxDxD, got '" + spec + "'");
    Shape s;
    std::string dims = spec.substr(eq + 1);
    size_t pos = 0;
    while (pos <= dims.size() && !dims.empty()) {
      size_t x = dims.find('x', pos);
      std::string d = dims.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
      try {
        s.push_back(std::stoll(d));
      } catch (const std::exception&) {
        throw Error(ErrorCode::InvalidArgument, "--shape: '" + d + "' is not a dimension in '" + spec + "'");
      }
      if (x == std::string::npos) break;
      pos = x + 1;
    }
    out[spec.substr(0, eq)] = s;
  }
  return out;
}

NamedTensors random_inputs(const Engine& engine, int batch, const std::map<std::string, Shape>& shapes, unsigned seed) {
  std::mt19937 rng(seed);
  NamedTensors out;
  for (const TensorInfo& info : engine.inputs()) {
    Shape shape;
    if (auto it = shapes.find(info.name); it != shapes.end()) {
      shape = it->second;
    } else {
      if (!info.shape_known)
        throw Error(ErrorCode::InvalidArgument, "input '" + info.name + "' has no declared shape; give one with --shape");
      bool first = true;
      for (const Dim& d : info.shape) {
        shape.push_back(d.is_dynamic() ? (first ? batch : 1) : d.value);
        if (d.is_dynamic()) first = false;
      }
    }
    Tensor t(info.dtype, shape);
    dispatch_dtype(info.dtype, [&]<typename T>() {
      T* p = t.data<T>();
      if constexpr (std::is_same_v<T, bool>) {
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng() & 1;
      } else if constexpr (std::is_integral_v<T>) {
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(rng() % 8);
      } else {
        std::uniform_real_distribution<float> dist(-1.f, 1.f);
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(dist(rng));
      }
    });
    out.emplace_back(info.name, std::move(t));
  }
  return out;
}

EngineOptions engine_options(const TargetArgs& target) {
  EngineOptions options;
  const std::string& d = target.device;
  if (d == "cuda") {
    options.device = Device::cuda(0);
  } else if (d.rfind("cuda:", 0) == 0) {
    try {
      options.device = Device::cuda(std::stoi(d.substr(5)));
    } catch (const std::exception&) {
      throw Error(ErrorCode::InvalidArgument, "--device: '" + d + "' is not cuda:N");
    }
  } else if (d != "cpu") {
    throw Error(ErrorCode::InvalidArgument, "--device: expected cpu, cuda or cuda:N, got '" + d + "'");
  }
  options.precision = target.precision == "fp16"   ? Precision::Fp16
                      : target.precision == "bf16" ? Precision::Bf16
                                                   : Precision::Fp32;
  return options;
}

}  // namespace lre::cli
