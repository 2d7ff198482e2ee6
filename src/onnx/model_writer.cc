// Model writing. Value names are kept as they are, so node and value names in errors and in the
// engine's inputs and outputs read the same after a round trip; only what the graph still uses
// is written (weights folded away by the passes are left out).
#include "onnx/model_writer.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lre/error.h"
#include "onnx/onnx_pb.h"
#include "onnx/tensor_proto.h"

namespace lre {

namespace {

void fill_tensor(onnx::TensorProto* p, const std::string& name, const Tensor& t) {
  if (!name.empty()) p->set_name(name);
  p->set_data_type(dtype_to_onnx(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  if (t.nbytes()) p->set_raw_data(t.raw(), t.nbytes());
  else p->set_raw_data(std::string());
}

void fill_value_info(onnx::ValueInfoProto* vi, const Value& v) {
  vi->set_name(v.name);
  if (!v.declared) return;  // an output whose type is left to inference
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype_to_onnx(v.declared->dtype));
  if (!v.declared->shape_known) return;
  auto* shape = tt->mutable_shape();
  for (const Dim& d : v.declared->shape) {
    auto* dim = shape->add_dim();
    if (d.value >= 0) dim->set_dim_value(d.value);
    else if (!d.symbol.empty()) dim->set_dim_param(d.symbol);
  }
}

void fill_attribute(onnx::AttributeProto* a, const std::string& name, const Attribute& attr, const Node& node) {
  using A = onnx::AttributeProto;
  a->set_name(name);
  switch (attr.kind) {
    case Attribute::Kind::Float: a->set_type(A::FLOAT); a->set_f(attr.f); return;
    case Attribute::Kind::Int: a->set_type(A::INT); a->set_i(attr.i); return;
    case Attribute::Kind::String: a->set_type(A::STRING); a->set_s(attr.s); return;
    case Attribute::Kind::Tensor: a->set_type(A::TENSOR); fill_tensor(a->mutable_t(), "", attr.t); return;
    case Attribute::Kind::Floats:
      a->set_type(A::FLOATS);
      for (float f : attr.floats) a->add_floats(f);
      return;
    case Attribute::Kind::Ints:
      a->set_type(A::INTS);
      for (int64_t i : attr.ints) a->add_ints(i);
      return;
    case Attribute::Kind::Strings:
      a->set_type(A::STRINGS);
      for (const std::string& s : attr.strings) a->add_strings(s);
      return;
    case Attribute::Kind::Graph: case Attribute::Kind::Other: break;
  }
  throw Error(ErrorCode::Unsupported, node.label() + ": attribute '" + name +
                                          "' holds a subgraph or a kind the runtime keeps no data for, so it cannot be written as ONNX");
}

const std::string& value_name(const Graph& g, int id) {
  static const std::string omitted;
  return id == kNoValue ? omitted : g.values[id].name;
}

}  // namespace

std::string write_onnx_model(const Graph& g) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("lre");
  model.set_producer_version(LRE_VERSION);

  std::map<std::string, int64_t> opsets = g.opsets;
  std::map<std::string, int> node_opsets;
  for (const Node& n : g.nodes) {
    auto [it, added] = node_opsets.try_emplace(n.domain, n.opset);
    if (!added && it->second != n.opset)
      throw Error(ErrorCode::Unsupported, n.label() + " uses opset " + std::to_string(n.opset) + " of domain '" + n.domain +
                                              "' beside nodes at opset " + std::to_string(it->second) +
                                              "; one model imports one version per domain");
    opsets[n.domain] = n.opset;
  }
  for (const auto& [domain, version] : opsets) {
    auto* op = model.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }

  onnx::GraphProto* gp = model.mutable_graph();
  gp->set_name(g.name);

  // Constants a kept node reads or the graph returns; a value some node produces is never also
  // an initializer (the loader would see it defined twice).
  std::vector<char> produced(g.values.size(), 0), wanted(g.values.size(), 0);
  for (const Node& n : g.nodes) {
    for (int o : n.outputs)
      if (o != kNoValue) produced[o] = 1;
    for (int in : n.inputs)
      if (in != kNoValue) wanted[in] = 1;
  }
  for (int o : g.outputs) wanted[o] = 1;
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    if (v.is_constant && wanted[i] && !produced[i]) fill_tensor(gp->add_initializer(), v.name, v.constant);
  }

  for (int id : g.inputs) fill_value_info(gp->add_input(), g.values[id]);
  for (int id : g.outputs) fill_value_info(gp->add_output(), g.values[id]);

  for (const Node& n : g.nodes) {
    onnx::NodeProto* np = gp->add_node();
    np->set_name(n.name);
    np->set_op_type(n.op_type);
    if (!n.domain.empty()) np->set_domain(n.domain);
    for (int in : n.inputs) np->add_input(value_name(g, in));
    for (int o : n.outputs) np->add_output(value_name(g, o));
    for (const auto& [name, attr] : n.attrs.all()) fill_attribute(np->add_attribute(), name, attr, n);
  }

  if (model.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    throw Error(ErrorCode::Unsupported, g.name + ": the optimised model is over 2 GiB, more than one ONNX file holds");
  return model.SerializeAsString();
}

}  // namespace lre
