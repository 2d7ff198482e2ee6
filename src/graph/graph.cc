// Graph bookkeeping: value lookup by name.
#include "graph/graph.h"

namespace lre {

std::string Node::label() const {
  std::string op = domain.empty() ? op_type : domain + "." + op_type;
  return "node '" + name + "' (" + op + ")";
}

int Graph::add_value(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  int id = static_cast<int>(values.size());
  values.push_back(Value{name, std::nullopt, false, {}});
  by_name_[name] = id;
  return id;
}

int Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNoValue : it->second;
}

}  // namespace lre
