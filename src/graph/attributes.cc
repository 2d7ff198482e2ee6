// Typed attribute access with errors that say which attribute was wrong.
#include "graph/attributes.h"

#include "lre/error.h"

namespace lre {

namespace {
const char* kind_name(Attribute::Kind k) {
  switch (k) {
    case Attribute::Kind::Float: return "float";
    case Attribute::Kind::Int: return "int";
    case Attribute::Kind::String: return "string";
    case Attribute::Kind::Tensor: return "tensor";
    case Attribute::Kind::Floats: return "floats";
    case Attribute::Kind::Ints: return "ints";
    case Attribute::Kind::Strings: return "strings";
    case Attribute::Kind::Graph: return "graph";
    case Attribute::Kind::Other: return "other";
  }
  return "?";
}
}  // namespace

const Attribute* Attributes::find(const std::string& name, Attribute::Kind kind) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return nullptr;
  if (it->second.kind != kind)
    throw Error(ErrorCode::InvalidModel, "attribute '" + name + "' is of kind " + kind_name(it->second.kind) +
                                             ", expected " + kind_name(kind));
  return &it->second;
}

int64_t Attributes::get_int(const std::string& name, int64_t fallback) const {
  const Attribute* a = find(name, Attribute::Kind::Int);
  return a ? a->i : fallback;
}

int64_t Attributes::get_int(const std::string& name) const {
  const Attribute* a = find(name, Attribute::Kind::Int);
  if (!a) throw Error(ErrorCode::InvalidModel, "required int attribute '" + name + "' is missing");
  return a->i;
}

float Attributes::get_float(const std::string& name, float fallback) const {
  const Attribute* a = find(name, Attribute::Kind::Float);
  return a ? a->f : fallback;
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  const Attribute* a = find(name, Attribute::Kind::String);
  return a ? a->s : fallback;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name, std::vector<int64_t> fallback) const {
  const Attribute* a = find(name, Attribute::Kind::Ints);
  return a ? a->ints : fallback;
}

std::vector<float> Attributes::get_floats(const std::string& name, std::vector<float> fallback) const {
  const Attribute* a = find(name, Attribute::Kind::Floats);
  return a ? a->floats : fallback;
}

std::vector<std::string> Attributes::get_strings(const std::string& name) const {
  const Attribute* a = find(name, Attribute::Kind::Strings);
  return a ? a->strings : std::vector<std::string>{};
}

const Tensor& Attributes::get_tensor(const std::string& name) const {
  const Attribute* a = find(name, Attribute::Kind::Tensor);
  if (!a) throw Error(ErrorCode::InvalidModel, "required tensor attribute '" + name + "' is missing");
  return a->t;
}

}  // namespace lre
