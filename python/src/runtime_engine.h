// The C++ object behind pylre.LatentRuntimeEngine: one compiled engine and one execution context.
// A mutex makes calls on one object from several Python threads safe; the GIL is released while a
// run computes, so threads with separate objects run in parallel.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lre/engine.h"

namespace lre::python {

struct EngineArgs {
  std::string path;
  std::optional<intptr_t> cuda_stream;  // the caller's cudaStream_t; only with a CUDA device
  std::string cache_dir;                // engine cache directory; empty for none
  std::optional<std::string> precision; // "fp32" (default), "fp16", "bf16" or the long names
  std::optional<std::string> device;    // "cpu" (default), "cuda", "cuda:N"
};

class RuntimeEngine {
 public:
  explicit RuntimeEngine(const EngineArgs& args);

  // Imports (name, array) pairs without copying and runs them; the outputs become this object's
  // current outputs and are returned. Call with the GIL held.
  std::vector<Tensor> infer(const std::vector<std::pair<std::string, pybind11::object>>& inputs);
  std::vector<Tensor> outputs() const;  // of the latest infer(); empty before the first
  // `n` runs on zeros of the declared input shapes (dynamic dimensions 1); the current outputs stay.
  void warm_up(int n);

  const Engine& engine() const { return *engine_; }
  const std::string& path() const { return path_; }
  std::optional<intptr_t> cuda_stream() const { return cuda_stream_; }
  std::string repr() const;

 private:
  // Releases the GIL, then takes the mutex: a thread holding the mutex never waits for the GIL.
  std::vector<Tensor> run(const NamedTensors& inputs, bool keep);

  std::string path_;
  std::optional<intptr_t> cuda_stream_;
  std::shared_ptr<const Engine> engine_;
  mutable std::mutex mutex_;
  std::unique_ptr<ExecutionContext> context_;  // guarded by mutex_
  std::vector<Tensor> outputs_;                 // guarded by mutex_
};

const char* precision_name(Precision p);  // "float32", "float16", "bfloat16"

}  // namespace lre::python
