// Builds ONNX models in tests with the protobuf API: graph inputs with symbolic or fixed dims,
// initializers, nodes with attributes, outputs.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "lre/tensor.h"
#include "onnx/onnx_pb.h"
#include "onnx/tensor_proto.h"

namespace lre::test {

inline onnx::AttributeProto* add_attr(onnx::NodeProto* n, const std::string& name, onnx::AttributeProto::AttributeType type) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}
inline void set_attr(onnx::NodeProto* n, const std::string& name, int64_t v) { add_attr(n, name, onnx::AttributeProto::INT)->set_i(v); }
inline void set_attr(onnx::NodeProto* n, const std::string& name, float v) { add_attr(n, name, onnx::AttributeProto::FLOAT)->set_f(v); }
inline void set_attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  add_attr(n, name, onnx::AttributeProto::STRING)->set_s(v);
}
inline void set_attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = add_attr(n, name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void set_attr(onnx::NodeProto* n, const std::string& name, const std::vector<float>& v) {
  auto* a = add_attr(n, name, onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}

inline void fill_tensor_proto(onnx::TensorProto* p, const std::string& name, const Tensor& value) {
  p->set_name(name);
  p->set_data_type(dtype_to_onnx(value.dtype()));
  for (int64_t d : value.shape()) p->add_dims(d);
  p->set_raw_data(value.raw(), value.nbytes());
}

class ModelBuilder {
 public:
  using DimSpec = std::variant<int64_t, std::string>;  // fixed size or symbolic name

  explicit ModelBuilder(int opset = 17, const std::string& name = "test_graph") {
    model_.set_ir_version(8);
    model_.set_producer_name("lre-tests");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name(name);
  }

  ModelBuilder& input(const std::string& name, DType dtype, const std::vector<DimSpec>& dims) {
    auto* vi = model_.mutable_graph()->add_input();
    vi->set_name(name);
    set_type(vi, dtype, dims);
    return *this;
  }
  ModelBuilder& initializer(const std::string& name, const Tensor& value) {
    fill_tensor_proto(model_.mutable_graph()->add_initializer(), name, value);
    return *this;
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& domain = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_domain(domain);
    n->set_name(op + "_" + std::to_string(model_.graph().node_size()));
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  // An output without a type leaves it to inference (the ONNX checker then rejects the model).
  ModelBuilder& output(const std::string& name) {
    model_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }
  ModelBuilder& output(const std::string& name, DType dtype, const std::vector<DimSpec>& dims) {
    auto* vi = model_.mutable_graph()->add_output();
    vi->set_name(name);
    set_type(vi, dtype, dims);
    return *this;
  }

  onnx::ModelProto& proto() { return model_; }
  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void set_type(onnx::ValueInfoProto* vi, DType dtype, const std::vector<DimSpec>& dims) {
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype_to_onnx(dtype));
    auto* shape = tt->mutable_shape();
    for (const DimSpec& d : dims) {
      if (std::holds_alternative<int64_t>(d)) shape->add_dim()->set_dim_value(std::get<int64_t>(d));
      else shape->add_dim()->set_dim_param(std::get<std::string>(d));
    }
  }

  onnx::ModelProto model_;
};

}  // namespace lre::test
