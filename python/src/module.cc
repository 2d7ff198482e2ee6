// The _pylre extension: the engine class that pylre.LatentRuntimeEngine wraps in Python, the
// tensor type its outputs leave as (DLPack producer, stream-aware for device memory, and buffer
// exporter over C++ memory), and the Whisper model behind pylre.WhisperModel.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "cuda_streams.h"
#include "device_options.h"
#include "dlpack_bridge.h"
#include "errors.h"
#include "runtime_engine.h"
#include "whisper_model.h"

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
  d["device"] = e.engine().options().device.to_string();
  d["precision"] = precision_name(e.engine().options().precision);
  return d;
}

// The DLPack export of an output. A device tensor is made ready for `consumer` (a stream handle;
// none: no ordering wanted) with an event wait when `wait`, and its memory outlives the work the
// consumer enqueues before letting go of it.
py::capsule export_output(const Output& o, std::optional<intptr_t> consumer, bool wait, bool copy) {
  const Tensor& t = o.tensor;
  if (t.device().is_cpu()) return export_tensor(copy ? t.clone() : t);
  if (copy) throw py::buffer_error("copy=True: a " + t.device().to_string() + " tensor is only exported in place");
#if LRE_WITH_CUDA
  DeviceScope scope(t.device().index);
  if (consumer && wait && o.ready) stream_wait_event(*consumer, *o.ready);
  return export_tensor(consumer ? guard_device_memory(t, nullptr, consumer) : t);
#else
  (void)consumer;
  (void)wait;
  return export_tensor(t);
#endif
}

// DLPack's __dlpack__: `stream` None means the legacy default stream (1), -1 no ordering, any
// other value the consumer's stream handle, which waits for the run with an event. max_version is
// a ceiling: the unversioned capsule is what every consumer still accepts.
py::capsule output_dlpack(const Output& o, const py::object& stream, const py::object& /*max_version*/,
                          const py::object& dl_device, const py::object& copy) {
  if (!dl_device.is_none() && !dl_device.equal(dlpack_device(o.tensor.device())))
    throw py::buffer_error("the tensor is on " + o.tensor.device().to_string() + "; cross-device export is not supported");
  std::optional<intptr_t> consumer = 1;
  if (!stream.is_none()) {
    consumer = stream.cast<intptr_t>();
    if (*consumer == -1) consumer.reset();
    else if (*consumer < -1) throw py::value_error("__dlpack__: stream must be None, -1 or a stream handle, got " + std::to_string(*consumer));
  }
  return export_output(o, consumer, true, !copy.is_none() && copy.cast<bool>());
}

}  // namespace

PYBIND11_MODULE(_pylre, m) {
  m.doc() = "LRE runtime bindings; use the pylre package";
  register_error_translator();
  m.def("cuda_devices", &visible_cuda_devices, "GPUs the runtime sees; 0 in a build without CUDA");

  py::class_<Output>(m, "Tensor", py::buffer_protocol(), "A runtime output: C++ memory shared through DLPack or buffers")
      .def_property_readonly("shape", [](const Output& o) { return py::tuple(py::cast(o.tensor.shape())); })
      .def_property_readonly("dtype", [](const Output& o) { return dtype_name(o.tensor.dtype()); })
      .def_property_readonly("device", [](const Output& o) { return o.tensor.device().to_string(); })
      .def_property_readonly("is_cuda", [](const Output& o) { return !o.tensor.device().is_cpu(); })
      .def("__dlpack__", &output_dlpack, py::arg("stream") = py::none(), py::kw_only(), py::arg("max_version") = py::none(),
           py::arg("dl_device") = py::none(), py::arg("copy") = py::none())
      .def("__dlpack_device__", [](const Output& o) { return dlpack_device(o.tensor.device()); })
      .def("_dlpack_ordered", [](const Output& o, intptr_t stream) { return export_output(o, stream, false, false); },
           py::arg("stream"), "The capsule for a consumer on `stream` that the run already ordered after itself")
      .def_buffer([](Output& o) {
        Tensor& t = o.tensor;
        std::string format = buffer_format(t.dtype());
        if (format.empty() || !t.device().is_cpu())
          throw py::buffer_error(std::string("a ") + dtype_name(t.dtype()) + " tensor on " + t.device().to_string() +
                                 " has no buffer view; use DLPack");
        std::vector<py::ssize_t> strides(t.rank(), static_cast<py::ssize_t>(dtype_size(t.dtype())));
        for (size_t d = t.rank(); d-- > 1;) strides[d - 1] = strides[d] * t.dim(d);
        return py::buffer_info(t.raw(), static_cast<py::ssize_t>(dtype_size(t.dtype())), format,
                               static_cast<py::ssize_t>(t.rank()), t.shape(), strides);
      })
      .def("__repr__", [](const Output& o) {
        const Tensor& t = o.tensor;
        return "pylre.Tensor(" + std::string(dtype_name(t.dtype())) + " " + shape_to_string(t.shape()) + " on " +
               t.device().to_string() + ")";
      });

  py::class_<RuntimeEngine>(m, "Engine", "Compiled model plus its execution contexts; see pylre.LatentRuntimeEngine")
      .def(py::init([](std::string path, std::optional<intptr_t> cuda_stream, std::optional<std::string> cache_dir,
                       std::optional<std::string> precision, std::optional<std::string> device) {
             return std::make_unique<RuntimeEngine>(
                 EngineArgs{std::move(path), cuda_stream, cache_dir.value_or(""), std::move(precision), std::move(device)});
           }),
           py::arg("model_path"), py::arg("cuda_stream") = py::none(), py::arg("engine_cache") = py::none(),
           py::arg("precision") = py::none(), py::arg("device") = py::none())
      .def("run", &RuntimeEngine::infer, py::arg("inputs"), py::arg("caller_stream") = py::none(),
           "Runs (name, array) pairs for a caller working on caller_stream; returns and keeps the outputs")
      .def("outputs", &RuntimeEngine::outputs, "The outputs of the latest run")
      .def("warm_up", &RuntimeEngine::warm_up, py::arg("n") = 10, py::arg("caller_stream") = py::none(),
           "Runs n times on zeros of the declared shapes (dynamic dimensions 1)")
      .def("stream_for", &RuntimeEngine::stream_for, py::arg("caller_stream") = py::none(),
           "The cudaStream_t a call from caller_stream runs on; None on cpu")
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
      .def_property_readonly("device_index", [](const RuntimeEngine& e) { return e.engine().options().device.index; })
      .def_property_readonly("cuda_stream", &RuntimeEngine::cuda_stream)
      .def_property_readonly("model_path", &RuntimeEngine::path)
      .def("get_metadata", &metadata, "Model name, producer, opsets, op counts and parameter count")
      .def("__repr__", &RuntimeEngine::repr);

  register_whisper_model(m);
}
