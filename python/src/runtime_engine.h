// The C++ object behind pylre.LatentRuntimeEngine: one compiled engine and its execution contexts
// (one per CUDA stream it runs on). A mutex makes calls on one object from several Python threads
// safe; the GIL is released while a run computes, so threads with separate objects run in parallel.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cuda_streams.h"
#include "lre/engine.h"

namespace lre::python {

struct EngineArgs {
  std::string path;
  std::optional<intptr_t> cuda_stream;  // the caller's cudaStream_t; only with a CUDA device
  std::string cache_dir;                // engine cache directory; empty for none
  std::optional<std::string> precision; // "fp32" (default), "fp16", "bf16" or the long names
  std::optional<std::string> device;    // None (cuda:0 when a GPU is visible, else cpu), "cpu", "cuda", "cuda:N"
};

// A run's output as pylre.Tensor holds it. Device outputs are guarded views (their memory goes
// back to the runtime only once `ready` has completed) and `ready` marks the end of the run that
// wrote them on the engine's stream; consumers on other streams wait for it.
struct Output {
  Tensor tensor;
  EventPtr ready;
};

class RuntimeEngine {
 public:
  explicit RuntimeEngine(const EngineArgs& args);

  // Imports (name, array) pairs without copying and runs them; the outputs become this object's
  // current outputs and are returned. `caller_stream` is the stream the caller's device inputs
  // were made on and its results will be used on (torch's current stream), when known. With any
  // device input a CUDA engine enqueues the run and returns device outputs without a host wait;
  // otherwise the run is synchronous and outputs are host tensors. Call with the GIL held.
  std::vector<Output> infer(const std::vector<std::pair<std::string, pybind11::object>>& inputs,
                            std::optional<intptr_t> caller_stream);
  std::vector<Output> outputs() const;  // of the latest infer(); empty before the first
  // `n` runs on zeros of the declared input shapes (dynamic dimensions 1), in the context a call
  // from `caller_stream` uses; the current outputs stay.
  void warm_up(int n, std::optional<intptr_t> caller_stream);
  // The cudaStream_t a call from `caller_stream` runs on; None for a CPU engine.
  std::optional<intptr_t> stream_for(std::optional<intptr_t> caller_stream);

  const Engine& engine() const { return *engine_; }
  const std::string& path() const { return path_; }
  std::optional<intptr_t> cuda_stream() const { return cuda_stream_; }
  std::string repr() const;

 private:
  struct Ran {
    std::vector<Output> outputs;
    EventPtr ready;  // enqueued runs only
  };
  // Releases the GIL, then takes the mutex: a thread holding the mutex never waits for the GIL.
  Ran run(const NamedTensors& inputs, std::optional<intptr_t> caller, bool enqueue, bool keep);
  // The stream-handle key of the context a caller uses (see the .cc); kOwnStream for the engine's
  // own stream and for CPU engines.
  intptr_t context_key(std::optional<intptr_t> caller) const;
  ExecutionContext& context_for(std::optional<intptr_t> caller);  // mutex_ held, GIL released
  std::optional<intptr_t> caller_or_given(std::optional<intptr_t> caller) const;

  static constexpr intptr_t kOwnStream = -1;

  std::string path_;
  std::optional<intptr_t> cuda_stream_;
  std::shared_ptr<const Engine> engine_;
  Device device_;
  intptr_t own_stream_ = 0;  // the own context's cudaStream_t, when the engine has one
  mutable std::mutex mutex_;
  std::map<intptr_t, std::unique_ptr<ExecutionContext>> contexts_;  // guarded by mutex_
  std::vector<Output> outputs_;                                     // guarded by mutex_
};

}  // namespace lre::python
