// Node attributes, converted from ONNX once at load. Getters name the attribute and the expected
// kind when an attribute is missing or of the wrong kind.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lre/tensor.h"

namespace lre {

struct Attribute {
  enum class Kind { Float, Int, String, Tensor, Floats, Ints, Strings, Graph, Other };
  Kind kind = Kind::Other;
  float f = 0;
  int64_t i = 0;
  std::string s;
  lre::Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

class Attributes {
 public:
  void set(const std::string& name, Attribute a) { attrs_[name] = std::move(a); }
  bool has(const std::string& name) const { return attrs_.count(name) != 0; }
  const std::map<std::string, Attribute>& all() const { return attrs_; }

  int64_t get_int(const std::string& name, int64_t fallback) const;
  int64_t get_int(const std::string& name) const;  // required
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> fallback = {}) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  const Tensor& get_tensor(const std::string& name) const;  // required

 private:
  const Attribute* find(const std::string& name, Attribute::Kind kind) const;
  std::map<std::string, Attribute> attrs_;
};

}  // namespace lre
