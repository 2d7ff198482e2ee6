// The runtime's graph IR: values (SSA tensors, identified by index) and nodes in topological order.
// The ONNX loader builds it; passes rewrite it; the engine compiles it into kernels and a plan.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/attributes.h"
#include "lre/tensor.h"

namespace lre {

constexpr int kNoValue = -1;  // an omitted optional input

struct Value {
  std::string name;
  std::optional<TensorInfo> declared;  // dtype and shape the model declares, if any
  bool is_constant = false;            // initializer, Constant node output, or folded
  Tensor constant;                     // the data when is_constant
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for ai.onnx
  int opset = 0;       // version of `domain` the model imports
  std::vector<int> inputs;   // value ids; kNoValue where an optional input is omitted
  std::vector<int> outputs;  // value ids; kNoValue where an optional output is not wanted
  Attributes attrs;

  std::string label() const;  // "node 'conv1' (Conv)"
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<int> inputs;  // runtime inputs (initializers excluded)
  std::vector<int> outputs;
  std::map<std::string, int64_t> opsets;

  int add_value(const std::string& name);
  int find_value(const std::string& name) const;  // kNoValue when absent

 private:
  std::unordered_map<std::string, int> by_name_;
};

}  // namespace lre
