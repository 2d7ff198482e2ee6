// LatentRuntimeEngine's options and runs. Input arrays are imported (and their references
// released) with the GIL held; only the run itself happens without it. On a CUDA engine the
// caller's stream and the engine's are ordered with events, never with host waits.
#include "runtime_engine.h"

#include "device_options.h"
#include "dlpack_bridge.h"
#include "errors.h"

namespace py = pybind11;

namespace lre::python {

namespace {

std::string infos_string(const std::vector<TensorInfo>& infos) {
  std::string s;
  for (const TensorInfo& t : infos)
    s += (s.empty() ? "" : ", ") + t.name + ": " + dtype_name(t.dtype) + " " + (t.shape_known ? t.shape_string() : "[?]");
  return "[" + s + "]";
}

}  // namespace

RuntimeEngine::RuntimeEngine(const EngineArgs& args) : path_(args.path), cuda_stream_(args.cuda_stream) {
  EngineOptions options;
  options.device = parse_device(args.device);
  options.precision = parse_precision(args.precision);
  options.cache_dir = args.cache_dir;
  device_ = options.device;
  if (cuda_stream_ && device_.is_cpu())
    throw Error(ErrorCode::InvalidArgument,
                std::string("cuda_stream is given but the engine runs on cpu") +
                    (args.device ? "" : (visible_cuda_devices() == 0 ? " (no device given and no CUDA GPU is visible)" : "")) +
                    "; pass device='cuda' or no stream");

  // Loading can take seconds on big models: other Python threads run meanwhile.
  std::optional<Error> failure;
  {
    py::gil_scoped_release nogil;
    try {
#if LRE_WITH_CUDA
      std::optional<DeviceScope> scope;
      if (!device_.is_cpu() && visible_cuda_devices() > device_.index) scope.emplace(device_.index);
#endif
      engine_ = Engine::load(path_, options);
      std::lock_guard lock(mutex_);
      ExecutionContext& ctx = context_for(cuda_stream_);
      if (context_key(cuda_stream_) == kOwnStream) own_stream_ = reinterpret_cast<intptr_t>(ctx.cuda_stream());
    } catch (const Error& e) {
      failure = e;
    }
  }
  if (failure) raise_load_error(*failure, path_);
}

// A CUDA engine runs on the stream given at construction when that is a created stream, else on
// the caller's stream when that is one (so `with s: lre(x)` runs on s), else on a stream of its
// own: the runtime refuses default streams, whose work serialises with everything.
intptr_t RuntimeEngine::context_key(std::optional<intptr_t> caller) const {
  if (device_.is_cpu()) return kOwnStream;
  if (cuda_stream_ && !is_default_stream(*cuda_stream_)) return *cuda_stream_;
  if (caller && !is_default_stream(*caller)) return *caller;
  return kOwnStream;
}

// torch's stream says where the caller works when torch gives one; otherwise the stream given at
// construction does.
std::optional<intptr_t> RuntimeEngine::caller_or_given(std::optional<intptr_t> caller) const {
  if (device_.is_cpu()) return std::nullopt;
  return caller ? caller : cuda_stream_;
}

ExecutionContext& RuntimeEngine::context_for(std::optional<intptr_t> caller) {
  const intptr_t key = context_key(caller);
  auto found = contexts_.find(key);
  if (found != contexts_.end()) return *found->second;
  ContextOptions options;
  if (key != kOwnStream) options.cuda_stream = reinterpret_cast<void*>(key);
  return *contexts_.emplace(key, std::make_unique<ExecutionContext>(engine_, options)).first->second;
}

RuntimeEngine::Ran RuntimeEngine::run(const NamedTensors& inputs, std::optional<intptr_t> caller, bool enqueue, bool keep) {
  py::gil_scoped_release nogil;
  std::lock_guard lock(mutex_);
  Ran ran;
  std::vector<Tensor> results;
#if LRE_WITH_CUDA
  std::optional<DeviceScope> scope;
  if (!device_.is_cpu()) scope.emplace(device_.index);
#endif
  ExecutionContext& ctx = context_for(caller);
  if (enqueue) {
#if LRE_WITH_CUDA
    // The run waits for the caller's work (its inputs) and the caller's stream for the run (its
    // results, and the inputs' memory torch may hand out again), both through events.
    const intptr_t stream = reinterpret_cast<intptr_t>(ctx.cuda_stream());
    const bool elsewhere = caller && *caller != stream;
    if (elsewhere) stream_wait_stream(stream, *caller, device_.index);
    ctx.enqueue(inputs, results);
    ran.ready = record_event(stream, device_.index);
    if (elsewhere) stream_wait_event(*caller, *ran.ready);
#endif
  } else {
    ctx.run(inputs, results);
  }
  ran.outputs.reserve(results.size());
  for (Tensor& t : results) {
#if LRE_WITH_CUDA
    if (!t.device().is_cpu()) t = guard_device_memory(t, ran.ready, std::nullopt);
#endif
    ran.outputs.push_back({std::move(t), ran.ready});
  }
  if (keep) outputs_ = ran.outputs;
  return ran;
}

std::vector<Output> RuntimeEngine::infer(const std::vector<std::pair<std::string, py::object>>& inputs,
                                         std::optional<intptr_t> caller_stream) {
#if LRE_WITH_CUDA
  collect_released();
#endif
  const std::optional<intptr_t> caller = caller_or_given(caller_stream);
  // Device arrays that come through __dlpack__ (torch's arrive as capsules, made on the caller's
  // stream) are handed over ordered onto the caller's stream, or the engine's own; DLPack spells
  // the legacy default stream 1.
  std::optional<intptr_t> producer_stream;
  if (!device_.is_cpu()) producer_stream = caller ? (*caller == 0 ? 1 : *caller) : own_stream_;
  NamedTensors named;
  named.reserve(inputs.size());
  bool device_inputs = false;
  for (const auto& [name, array] : inputs) {
    named.emplace_back(name, import_tensor(array, producer_stream, "input '" + name + "'"));
    device_inputs = device_inputs || !named.back().second.device().is_cpu();
  }
  Ran ran = run(named, caller, device_inputs && !device_.is_cpu(), true);
#if LRE_WITH_CUDA
  if (ran.ready) {
    // The run reads device inputs on its stream after this returns: they stay alive until it is done.
    std::vector<Tensor> held;
    for (auto& [name, t] : named)
      if (!t.device().is_cpu()) held.push_back(std::move(t));
    release_after(std::move(held), ran.ready);
  }
#endif
  return std::move(ran.outputs);
}

std::vector<Output> RuntimeEngine::outputs() const {
  py::gil_scoped_release nogil;
  std::lock_guard lock(mutex_);
  return outputs_;
}

void RuntimeEngine::warm_up(int n, std::optional<intptr_t> caller_stream) {
  if (n < 0) throw Error(ErrorCode::InvalidArgument, "warm_up: n must be >= 0, got " + std::to_string(n));
  NamedTensors zeros;
  for (const TensorInfo& info : engine_->inputs()) {
    if (!info.shape_known)
      throw Error(ErrorCode::InvalidArgument, "warm_up: input '" + info.name + "' declares no shape; run real inputs instead");
    Shape shape;
    for (const Dim& d : info.shape) shape.push_back(d.is_dynamic() ? 1 : d.value);
    zeros.emplace_back(info.name, Tensor(info.dtype, shape));
  }
  const std::optional<intptr_t> caller = caller_or_given(caller_stream);
  for (int i = 0; i < n; ++i) run(zeros, caller, false, false);
}

std::optional<intptr_t> RuntimeEngine::stream_for(std::optional<intptr_t> caller_stream) {
  if (device_.is_cpu()) return std::nullopt;
  const std::optional<intptr_t> caller = caller_or_given(caller_stream);
  py::gil_scoped_release nogil;
  std::lock_guard lock(mutex_);
#if LRE_WITH_CUDA
  DeviceScope scope(device_.index);
#endif
  return reinterpret_cast<intptr_t>(context_for(caller).cuda_stream());
}

std::string RuntimeEngine::repr() const {
  const EngineOptions& o = engine_->options();
  return "LatentRuntimeEngine(model='" + path_ + "', device='" + o.device.to_string() + "', precision='" +
         precision_name(o.precision) + "', inputs=" + infos_string(engine_->inputs()) +
         ", outputs=" + infos_string(engine_->outputs()) + ")";
}

}  // namespace lre::python
