// The _pylre extension: the engine class that pylre.LatentRuntimeEngine wraps in Python, and the
// tensor type its outputs leave as (DLPack producer and buffer exporter over C++ memory).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "dlpack_bridge.h"
#include "errors.h"
#include "runtime_engine.h"

namespace py = pybind11;
using namespace lre;
using namespace lre::python;

namespace {

// A declared shape as Python sees it: ints for fixed dimensions, the symbol name for named dynamic
// ones ("batch"), None for unnamed dynamic ones; the whole shape is None when undeclared. This is
// onnxruntime's convention, so code written against it reads our shapes unchanged.
py::object declared_shape(const TensorInfo& info) {
  if (!info.shape_known) return py::none();
  py::list dims;
  for (const Dim& d : info.shape) {
    if (!d.is_dynamic()) dims.append(d.value);
    else if (!d.symbol.empty()) dims.append(d.symbol);
    else dims.append(py::none());
  }
  return py::tuple(dims);
}

template <typename F>
py::list map_infos(const std::vector<TensorInfo>& infos, F f) {
  py::list out;
  for (const TensorInfo& info : infos) out.append(f(info));
  return out;
}

py::dict metadata(const RuntimeEngine& e) {
  const ModelSummary& s = e.engine().summary();
  py::dict d;
  d["path"] = e.path();
  d["name"] = s.name;
  d["producer"] = s.producer;
  d["ir_version"] = s.ir_version;
  d["opsets"] = s.opsets;
  d["op_counts"] = s.op_counts;
  d["nodes_loaded"] = s.nodes_loaded;
  d["nodes_compiled"] = s.nodes_compiled;
  d["parameters"] = s.parameters;
  d["parameter_bytes"] = s.parameter_bytes;
  return d;
}

py::capsule tensor_dlpack(const Tensor& t, const py::object& /*stream*/, const py::object& /*max_version*/,
                          const py::object& dl_device, const py::object& copy) {
  // The stream is for ordering device work; host memory is ready as soon as a run returns.
  // max_version is a ceiling: the unversioned capsule is what every consumer still accepts.
  if (!dl_device.is_none() && !dl_device.equal(dlpack_device(t.device())))
    throw py::buffer_error("the tensor is on " + t.device().to_string() + "; cross-device export is not supported");
  if (!copy.is_none() && copy.cast<bool>()) return export_tensor(t.clone());
  return export_tensor(t);
}

}  // namespace

PYBIND11_MODULE(_pylre, m) {
  m.doc() = "LRE runtime bindings; use the pylre package";
  register_error_translator();

  py::class_<Tensor>(m, "Tensor", py::buffer_protocol(), "A runtime output: C++ memory shared through DLPack or buffers")
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_name(t.dtype()); })
      .def_property_readonly("device", [](const Tensor& t) { return t.device().to_string(); })
      .def("__dlpack__", &tensor_dlpack, py::arg("stream") = py::none(), py::kw_only(), py::arg("max_version") = py::none(),
           py::arg("dl_device") = py::none(), py::arg("copy") = py::none())
      .def("__dlpack_device__", [](const Tensor& t) { return dlpack_device(t.device()); })
      .def_buffer([](Tensor& t) {
        std::string format = buffer_format(t.dtype());
        if (format.empty() || !t.device().is_cpu())
          throw py::buffer_error(std::string("a ") + dtype_name(t.dtype()) + " tensor on " + t.device().to_string() +
                                 " has no buffer view; use DLPack");
        std::vector<py::ssize_t> strides(t.rank(), static_cast<py::ssize_t>(dtype_size(t.dtype())));
        for (size_t d = t.rank(); d-- > 1;) strides[d - 1] = strides[d] * t.dim(d);
        return py::buffer_info(t.raw(), static_cast<py::ssize_t>(dtype_size(t.dtype())), format,
                               static_cast<py::ssize_t>(t.rank()), t.shape(), strides);
      })
      .def("__repr__", [](const Tensor& t) {
        return "pylre.Tensor(" + std::string(dtype_name(t.dtype())) + " " + shape_to_string(t.shape()) + " on " +
               t.device().to_string() + ")";
      });

  py::class_<RuntimeEngine>(m, "Engine", "Compiled model plus one execution context; see pylre.LatentRuntimeEngine")
      .def(py::init([](std::string path, std::optional<intptr_t> cuda_stream, std::optional<std::string> cache_dir,
                       std::optional<std::string> precision, std::optional<std::string> device) {
             return std::make_unique<RuntimeEngine>(
                 EngineArgs{std::move(path), cuda_stream, cache_dir.value_or(""), std::move(precision), std::move(device)});
           }),
           py::arg("model_path"), py::arg("cuda_stream") = py::none(), py::arg("engine_cache") = py::none(),
           py::arg("precision") = py::none(), py::arg("device") = py::none())
      .def("run", &RuntimeEngine::infer, py::arg("inputs"), "Runs (name, array) pairs; returns and keeps the outputs")
      .def("outputs", &RuntimeEngine::outputs, "The outputs of the latest run")
      .def("warm_up", &RuntimeEngine::warm_up, py::arg("n") = 10,
           "Runs n times on zeros of the declared shapes (dynamic dimensions 1)")
      .def_property_readonly("input_names", [](const RuntimeEngine& e) {
        return map_infos(e.engine().inputs(), [](const TensorInfo& i) { return i.name; });
      })
      .def_property_readonly("output_names", [](const RuntimeEngine& e) {
        return map_infos(e.engine().outputs(), [](const TensorInfo& i) { return i.name; });
      })
      .def_property_readonly("input_shapes", [](const RuntimeEngine& e) { return map_infos(e.engine().inputs(), declared_shape); })
      .def_property_readonly("output_shapes", [](const RuntimeEngine& e) { return map_infos(e.engine().outputs(), declared_shape); })
      .def_property_readonly("input_dtypes", [](const RuntimeEngine& e) {
        return map_infos(e.engine().inputs(), [](const TensorInfo& i) { return dtype_name(i.dtype); });
      })
      .def_property_readonly("output_dtypes", [](const RuntimeEngine& e) {
        return map_infos(e.engine().outputs(), [](const TensorInfo& i) { return dtype_name(i.dtype); });
      })
      .def_property_readonly("model_precision", [](const RuntimeEngine& e) { return precision_name(e.engine().options().precision); })
      .def_property_readonly("device_type", [](const RuntimeEngine& e) {
        return e.engine().options().device.is_cpu() ? "cpu" : "cuda";
      })
      .def_property_readonly("device", [](const RuntimeEngine& e) { return e.engine().options().device.to_string(); })
      .def_property_readonly("cuda_stream", &RuntimeEngine::cuda_stream)
      .def_property_readonly("model_path", &RuntimeEngine::path)
      .def("get_metadata", &metadata, "Model name, producer, opsets, op counts and parameter count")
      .def("__repr__", &RuntimeEngine::repr);
}
