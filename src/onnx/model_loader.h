// ONNX ModelProto -> graph IR. Parses and checks the model, converts initializers and attributes,
// and rejects what the runtime cannot run (naming every unknown op at once) before any run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "lre/engine.h"

namespace lre {

struct LoadedModel {
  Graph graph;
  ModelSummary summary;  // op counts and node totals are filled in by the engine after compiling
  std::vector<std::string> external_files;  // external data files read, as named (relative to base_dir)
};

// `name` is used in error messages; `base_dir` resolves external data files.
LoadedModel load_onnx_model(std::string_view bytes, const std::string& name, const std::string& base_dir,
                            bool check_model);

}  // namespace lre
