// Model loading. The ONNX checker validates the structure; this file converts, and checks what the
// checker does not: supported element types, topological order, and that every op has a kernel.
#include "onnx/model_loader.h"

#include <map>
#include <set>

#include "lre/error.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/tensor_proto.h"
#include "ops/kernel.h"

namespace lre {

namespace {

TensorInfo info_from_value_info(const onnx::ValueInfoProto& vi, const std::string& model) {
  TensorInfo info;
  info.name = vi.name();
  if (!vi.type().has_tensor_type())
    throw Error(ErrorCode::Unsupported, model + ": graph input/output '" + vi.name() +
                                            "' is not a tensor (sequences, maps and optionals are not supported)");
  const auto& tt = vi.type().tensor_type();
  info.dtype = dtype_from_onnx(tt.elem_type(), model + ": graph input/output '" + vi.name() + "'");
  info.shape_known = tt.has_shape();
  for (const auto& d : tt.shape().dim()) {
    Dim dim;
    if (d.has_dim_value()) dim.value = d.dim_value();
    else if (d.has_dim_param()) dim.symbol = d.dim_param();
    info.shape.push_back(dim);
  }
  return info;
}

Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& base_dir, const std::string& what) {
  Attribute out;
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::FLOAT: out.kind = Attribute::Kind::Float; out.f = a.f(); break;
    case A::INT: out.kind = Attribute::Kind::Int; out.i = a.i(); break;
    case A::STRING: out.kind = Attribute::Kind::String; out.s = a.s(); break;
    case A::TENSOR:
      out.kind = Attribute::Kind::Tensor;
      out.t = tensor_from_proto(a.t(), base_dir, what + " attribute '" + a.name() + "'");
      break;
    case A::FLOATS: out.kind = Attribute::Kind::Floats; out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case A::INTS: out.kind = Attribute::Kind::Ints; out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case A::STRINGS: out.kind = Attribute::Kind::Strings; out.strings.assign(a.strings().begin(), a.strings().end()); break;
    case A::GRAPH: case A::GRAPHS: out.kind = Attribute::Kind::Graph; break;
    default: out.kind = Attribute::Kind::Other; break;
  }
  return out;
}

// The file a tensor's external data lives in, as the model names it; empty for inline data.
std::string external_location(const onnx::TensorProto& t) {
  if (t.data_location() != onnx::TensorProto::EXTERNAL) return {};
  for (const auto& kv : t.external_data())
    if (kv.key() == "location") return kv.value();
  return {};
}

// The checker resolves external data against the working directory (it is not told the model's
// directory when given a ModelProto), so it checks a copy whose external initializers carry the
// data already read from the model's directory.
void run_checker(const onnx::ModelProto& model, const Graph& g, const std::string& name) {
  bool external = false;
  for (const auto& init : model.graph().initializer()) external |= init.data_location() == onnx::TensorProto::EXTERNAL;
  try {
    if (!external) {
      onnx::checker::check_model(model);
      return;
    }
    onnx::ModelProto copy = model;
    for (auto& init : *copy.mutable_graph()->mutable_initializer()) {
      if (init.data_location() != onnx::TensorProto::EXTERNAL) continue;
      const Tensor& t = g.values[g.find_value(init.name())].constant;
      init.clear_external_data();
      init.set_data_location(onnx::TensorProto::DEFAULT);
      init.set_raw_data(t.raw(), t.nbytes());
    }
    onnx::checker::check_model(copy);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::InvalidModel, name + ": the ONNX checker rejects the model: " + e.what());
  }
}

}  // namespace

LoadedModel load_onnx_model(std::string_view bytes, const std::string& name, const std::string& base_dir,
                            bool check_model) {
  onnx::ModelProto model;
  if (bytes.empty()) throw Error(ErrorCode::InvalidModel, name + ": the file is empty");
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    throw Error(ErrorCode::Unsupported, name + ": models over 2 GiB must keep their weights in external data files");
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(ErrorCode::InvalidModel, name + ": not a valid ONNX model (protobuf parsing failed on " +
                                             std::to_string(bytes.size()) + " bytes; is the file truncated or corrupt?)");
  if (!model.has_graph() || model.ir_version() == 0)
    throw Error(ErrorCode::InvalidModel, name + ": not an ONNX model (no graph or IR version)");

  LoadedModel out;
  Graph& g = out.graph;
  const auto& gp = model.graph();
  g.name = gp.name().empty() ? name : gp.name();
  out.summary.name = g.name;
  out.summary.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  out.summary.ir_version = model.ir_version();
  for (const auto& op : model.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    g.opsets[domain] = op.version();
  }
  // IR v3 models may omit the default domain; the checker accepts that. Kernels handle every
  // opset's attribute forms, so old opsets load like new ones.
  if (!g.opsets.count("")) g.opsets[""] = 1;
  out.summary.opsets = g.opsets;

  std::set<std::string> external;
  for (const auto& init : gp.initializer()) {
    if (std::string file = external_location(init); !file.empty()) external.insert(file);
    int id = g.add_value(init.name());
    Value& v = g.values[id];
    v.is_constant = true;
    v.constant = tensor_from_proto(init, base_dir, name + ": initializer '" + init.name() + "'");
    out.summary.parameters += v.constant.numel();
    out.summary.parameter_bytes += v.constant.nbytes();
  }
  if (check_model) run_checker(model, g, name);

  for (const auto& in : gp.input()) {
    int id = g.add_value(in.name());
    if (g.values[id].is_constant) continue;  // an initializer listed as an input (default value)
    g.values[id].declared = info_from_value_info(in, name);
    g.inputs.push_back(id);
  }

  std::set<int> defined(g.inputs.begin(), g.inputs.end());
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].is_constant) defined.insert(static_cast<int>(i));

  std::map<std::string, std::vector<std::string>> unknown;  // op -> node names
  int index = 0;
  for (const auto& np : gp.node()) {
    Node n;
    n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(index) : np.name();
    ++index;
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    auto opset = g.opsets.find(n.domain);
    n.opset = opset == g.opsets.end() ? 1 : static_cast<int>(opset->second);
    for (const auto& in : np.input()) {
      if (in.empty()) {
        n.inputs.push_back(kNoValue);
        continue;
      }
      int id = g.find_value(in);
      if (id == kNoValue || !defined.count(id))
        throw Error(ErrorCode::InvalidModel, name + ": " + n.label() + " reads '" + in +
                                                 "', which no earlier node, input or initializer defines");
      n.inputs.push_back(id);
    }
    for (const auto& o : np.output()) {
      if (o.empty()) {
        n.outputs.push_back(kNoValue);
        continue;
      }
      if (g.find_value(o) != kNoValue && defined.count(g.find_value(o)))
        throw Error(ErrorCode::InvalidModel, name + ": " + n.label() + " redefines value '" + o + "'");
      int id = g.add_value(o);
      defined.insert(id);
      n.outputs.push_back(id);
    }
    for (const auto& a : np.attribute()) {
      n.attrs.set(a.name(), convert_attribute(a, base_dir, name + ": " + n.label()));
      if (std::string file = external_location(a.t()); !file.empty()) external.insert(file);
    }
    if (!find_kernel(n.domain, n.op_type, Device::Kind::Cpu))
      unknown[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type].push_back(n.name);
    g.nodes.push_back(std::move(n));
  }
  if (!unknown.empty()) {
    std::string msg = name + ": unsupported operators:";
    for (const auto& [op, nodes] : unknown) {
      msg += " " + op + " (" + std::to_string(nodes.size()) + " node" + (nodes.size() > 1 ? "s" : "") + ", e.g. '" +
             nodes.front() + "');";
    }
    msg.pop_back();
    throw Error(ErrorCode::Unsupported, msg);
  }

  for (const auto& o : gp.output()) {
    int id = g.find_value(o.name());
    if (id == kNoValue || !defined.count(id))
      throw Error(ErrorCode::InvalidModel, name + ": graph output '" + o.name() + "' is never produced");
    // Outputs may leave their type to inference; the first run then tells.
    if (!g.values[id].declared && o.has_type()) g.values[id].declared = info_from_value_info(o, name);
    g.outputs.push_back(id);
  }
  out.summary.nodes_loaded = static_cast<int>(g.nodes.size());
  out.external_files.assign(external.begin(), external.end());
  return out;
}

}  // namespace lre
