// LatentRuntimeEngine's options and runs. Input arrays are imported (and their references
// released) with the GIL held; only the run itself happens without it.
#include "runtime_engine.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "dlpack_bridge.h"
#include "errors.h"

namespace py = pybind11;

namespace lre::python {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// No device asked for means cpu: the library cannot yet say whether a GPU is present, and a CUDA
// build on a machine without one must still run.
Device parse_device(const std::optional<std::string>& text) {
  if (!text) return Device::cpu();
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

std::string infos_string(const std::vector<TensorInfo>& infos) {
  std::string s;
  for (const TensorInfo& t : infos)
    s += (s.empty() ? "" : ", ") + t.name + ": " + dtype_name(t.dtype) + " " + (t.shape_known ? t.shape_string() : "[?]");
  return "[" + s + "]";
}

}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Fp32: return "float32";
    case Precision::Fp16: return "float16";
    case Precision::Bf16: return "bfloat16";
  }
  return "float32";
}

RuntimeEngine::RuntimeEngine(const EngineArgs& args) : path_(args.path), cuda_stream_(args.cuda_stream) {
  EngineOptions options;
  options.device = parse_device(args.device);
  options.precision = parse_precision(args.precision);
  options.cache_dir = args.cache_dir;
  if (cuda_stream_ && options.device.is_cpu())
    throw Error(ErrorCode::InvalidArgument, "cuda_stream is given but the device is cpu; pass device='cuda' or no stream");

  // Loading can take seconds on big models: other Python threads run meanwhile.
  std::optional<Error> failure;
  {
    py::gil_scoped_release nogil;
    try {
      engine_ = Engine::load(path_, options);
      context_ = std::make_unique<ExecutionContext>(engine_);
    } catch (const Error& e) {
      failure = e;
    }
  }
  if (failure) raise_load_error(*failure, path_);
}

std::vector<Tensor> RuntimeEngine::run(const NamedTensors& inputs, bool keep) {
  py::gil_scoped_release nogil;
  std::lock_guard lock(mutex_);
  std::vector<Tensor> outputs = context_->run(inputs);
  if (keep) outputs_ = outputs;
  return outputs;
}

std::vector<Tensor> RuntimeEngine::infer(const std::vector<std::pair<std::string, py::object>>& inputs) {
  NamedTensors named;
  named.reserve(inputs.size());
  for (const auto& [name, array] : inputs) named.emplace_back(name, import_tensor(array, cuda_stream_, "input '" + name + "'"));
  return run(named, true);
}

std::vector<Tensor> RuntimeEngine::outputs() const {
  py::gil_scoped_release nogil;
  std::lock_guard lock(mutex_);
  return outputs_;
}

void RuntimeEngine::warm_up(int n) {
  if (n < 0) throw Error(ErrorCode::InvalidArgument, "warm_up: n must be >= 0, got " + std::to_string(n));
  NamedTensors zeros;
  for (const TensorInfo& info : engine_->inputs()) {
    if (!info.shape_known)
      throw Error(ErrorCode::InvalidArgument, "warm_up: input '" + info.name + "' declares no shape; run real inputs instead");
    Shape shape;
    for (const Dim& d : info.shape) shape.push_back(d.is_dynamic() ? 1 : d.value);
    zeros.emplace_back(info.name, Tensor(info.dtype, shape));
  }
  for (int i = 0; i < n; ++i) run(zeros, false);
}

std::string RuntimeEngine::repr() const {
  const EngineOptions& o = engine_->options();
  return "LatentRuntimeEngine(model='" + path_ + "', device='" + o.device.to_string() + "', precision='" +
         precision_name(o.precision) + "', inputs=" + infos_string(engine_->inputs()) +
         ", outputs=" + infos_string(engine_->outputs()) + ")";
}

}  // namespace lre::python
