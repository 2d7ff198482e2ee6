// DLPack import and export for pylre. Inputs are wrapped in place when row-major contiguous (the
// common case: numpy and torch tensors as created) and copied otherwise, since every kernel reads
// dense row-major memory. Debian 12 ships DLPack 0.6, whose header predates kDLBool (code 6).
#include "dlpack_bridge.h"

#include <dlpack/dlpack.h>

#include <cstring>
#include <memory>
#include <vector>

#include "lre/error.h"

namespace py = pybind11;

namespace lre::python {

namespace {

constexpr uint8_t kDLBoolCode = 6;  // DLPack >= 0.8

std::optional<DType> dtype_from_dlpack(DLDataType t) {
  if (t.lanes != 1) return std::nullopt;
  switch (t.code) {
    case kDLFloat:
      if (t.bits == 16) return DType::Float16;
      if (t.bits == 32) return DType::Float32;
      if (t.bits == 64) return DType::Float64;
      break;
    case kDLBfloat:
      if (t.bits == 16) return DType::BFloat16;
      break;
    case kDLInt:
      if (t.bits == 8) return DType::Int8;
      if (t.bits == 16) return DType::Int16;
      if (t.bits == 32) return DType::Int32;
      if (t.bits == 64) return DType::Int64;
      break;
    case kDLUInt:
      if (t.bits == 8) return DType::UInt8;
      if (t.bits == 16) return DType::UInt16;
      if (t.bits == 32) return DType::UInt32;
      if (t.bits == 64) return DType::UInt64;
      break;
    case kDLBoolCode:
      if (t.bits == 8) return DType::Bool;
      break;
  }
  return std::nullopt;
}

DLDataType dtype_to_dlpack(DType t) {
  uint8_t bits = static_cast<uint8_t>(dtype_size(t) * 8);
  if (t == DType::Bool) return {kDLBoolCode, bits, 1};
  if (t == DType::BFloat16) return {kDLBfloat, bits, 1};
  if (dtype_is_float(t)) return {kDLFloat, bits, 1};
  if (dtype_is_signed_int(t)) return {kDLInt, bits, 1};
  return {kDLUInt, bits, 1};
}

std::optional<DType> dtype_from_format(std::string format, size_t itemsize) {
  if (!format.empty() && (format[0] == '@' || format[0] == '=' || format[0] == '<')) format.erase(0, 1);
  if (format.size() != 1) return std::nullopt;
  switch (format[0]) {
    case 'e': return DType::Float16;
    case 'f': return DType::Float32;
    case 'd': return DType::Float64;
    case '?': return DType::Bool;
    case 'b': case 'h': case 'i': case 'l': case 'q':
      if (itemsize == 1) return DType::Int8;
      if (itemsize == 2) return DType::Int16;
      if (itemsize == 4) return DType::Int32;
      if (itemsize == 8) return DType::Int64;
      break;
    case 'B': case 'H': case 'I': case 'L': case 'Q':
      if (itemsize == 1) return DType::UInt8;
      if (itemsize == 2) return DType::UInt16;
      if (itemsize == 4) return DType::UInt32;
      if (itemsize == 8) return DType::UInt64;
      break;
  }
  return std::nullopt;
}

bool row_major(const Shape& shape, const std::vector<int64_t>& byte_strides, size_t elem) {
  if (shape_numel(shape) == 0) return true;
  int64_t expected = static_cast<int64_t>(elem);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1 && byte_strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

// Gathers a strided view into dense row-major `dst`, one element at a time: this is the rare path
// (transposed or sliced arrays), correctness over speed.
void copy_strided(const char* src, const Shape& shape, const std::vector<int64_t>& byte_strides, size_t elem, char* dst) {
  int64_t n = shape_numel(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d) offset += index[d] * byte_strides[d];
    std::memcpy(dst + i * elem, src + offset, elem);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// A tensor over `data` kept alive by `owner`, or a dense copy when the layout is not row-major.
Tensor view_or_copy(std::shared_ptr<void> owner, const char* data, DType dtype, Shape shape,
                    const std::vector<int64_t>& byte_strides, Device device) {
  if (row_major(shape, byte_strides, dtype_size(dtype)))
    return Tensor::from_storage(std::move(owner), const_cast<char*>(data), dtype, std::move(shape), device);
  if (!device.is_cpu())
    throw Error(ErrorCode::Unsupported, "non-contiguous arrays on " + device.to_string() + " are not supported yet");
  Tensor dense(dtype, shape);
  copy_strided(data, shape, byte_strides, dtype_size(dtype), static_cast<char*>(dense.raw()));
  return dense;
}

Device device_from_dlpack(DLDevice d, const std::string& what) {
  switch (d.device_type) {
    case kDLCPU: case kDLCUDAHost: case kDLCUDAManaged: return Device::cpu();
    case kDLCUDA: return Device::cuda(d.device_id);
    default:
      throw Error(ErrorCode::InvalidArgument, what + " is on DLPack device type " + std::to_string(d.device_type) +
                                                  ", expected cpu or cuda memory");
  }
}

Tensor from_dlpack_capsule(py::handle capsule, const std::string& what) {
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  if (!managed) throw py::error_already_set();
  // Renaming marks the capsule consumed: from here on we, not the capsule, call the deleter.
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");
  // Producers' deleters drop Python references (numpy's does), so they run under the GIL even
  // when the last tensor handle goes away in a thread that released it.
  std::shared_ptr<DLManagedTensor> owner(managed, [](DLManagedTensor* m) {
    if (!m->deleter) return;
    py::gil_scoped_acquire gil;
    m->deleter(m);
  });
  const DLTensor& t = managed->dl_tensor;
  Device device = device_from_dlpack(t.device, what);
  std::optional<DType> dtype = dtype_from_dlpack(t.dtype);
  if (!dtype)
    throw Error(ErrorCode::InvalidArgument, what + " has DLPack dtype (code " + std::to_string(t.dtype.code) + ", bits " +
                                                std::to_string(t.dtype.bits) + ", lanes " + std::to_string(t.dtype.lanes) +
                                                "), which has no runtime dtype");
  Shape shape(t.shape, t.shape + t.ndim);
  std::vector<int64_t> byte_strides(t.ndim);
  int64_t dense = static_cast<int64_t>(dtype_size(*dtype));
  for (int d = t.ndim; d-- > 0;) {
    byte_strides[d] = t.strides ? t.strides[d] * static_cast<int64_t>(dtype_size(*dtype)) : dense;
    dense *= shape[d];
  }
  const char* data = static_cast<const char*>(t.data) + t.byte_offset;
  return view_or_copy(std::move(owner), data, *dtype, std::move(shape), byte_strides, device);
}

Tensor from_buffer(py::handle obj, const std::string& what) {
  auto view = std::make_unique<Py_buffer>();
  if (PyObject_GetBuffer(obj.ptr(), view.get(), PyBUF_RECORDS_RO) != 0) throw py::error_already_set();
  std::shared_ptr<Py_buffer> owner(view.release(), [](Py_buffer* b) {
    py::gil_scoped_acquire gil;
    PyBuffer_Release(b);
    delete b;
  });
  std::optional<DType> dtype = dtype_from_format(owner->format ? owner->format : "B", owner->itemsize);
  if (!dtype)
    throw Error(ErrorCode::InvalidArgument, what + " has buffer format '" + std::string(owner->format ? owner->format : "") +
                                                "', which has no runtime dtype");
  Shape shape(owner->shape, owner->shape + owner->ndim);
  std::vector<int64_t> byte_strides(owner->strides, owner->strides + owner->ndim);
  const char* data = static_cast<const char*>(owner->buf);
  return view_or_copy(std::move(owner), data, *dtype, std::move(shape), byte_strides, Device::cpu());
}

}  // namespace

Tensor import_tensor(py::handle obj, std::optional<intptr_t> stream, const std::string& what) {
  if (PyCapsule_CheckExact(obj.ptr())) {
    if (!PyCapsule_IsValid(obj.ptr(), "dltensor"))
      throw Error(ErrorCode::InvalidArgument, what + " is a capsule that is not an unused DLPack tensor");
    return from_dlpack_capsule(obj, what);
  }
  if (py::hasattr(obj, "__dlpack__") && py::hasattr(obj, "__dlpack_device__")) {
    auto dev = obj.attr("__dlpack_device__")().cast<std::pair<int, int>>();
    py::object capsule;
    try {
      // The stream argument is only for device memory; host arrays must be asked without one.
      if (dev.first == kDLCUDA && stream) capsule = obj.attr("__dlpack__")(py::arg("stream") = *stream);
      else capsule = obj.attr("__dlpack__")();
    } catch (py::error_already_set& e) {
      // numpy < 1.25 refuses read-only and bool arrays; its buffer protocol serves both.
      if (!e.matches(PyExc_BufferError) || !PyObject_CheckBuffer(obj.ptr())) throw;
    }
    if (capsule) return from_dlpack_capsule(capsule, what);
  }
  if (PyObject_CheckBuffer(obj.ptr())) return from_buffer(obj, what);
  throw py::type_error(what + ": expected an array with __dlpack__ or the buffer protocol, got " +
                       std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
}

namespace {

// What a capsule owns: a handle on the tensor (its storage) and the shape/stride arrays DLPack
// points into.
struct Exported {
  Tensor tensor;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements, row-major
  DLManagedTensor managed{};
};

}  // namespace

py::capsule export_tensor(const Tensor& t) {
  auto held = std::make_unique<Exported>();
  held->tensor = t;
  held->shape = t.shape();
  held->strides.assign(t.rank(), 1);
  for (size_t d = t.rank(); d-- > 1;) held->strides[d - 1] = held->strides[d] * t.dim(d);
  DLTensor& dl = held->managed.dl_tensor;
  dl.data = held->tensor.raw();
  dl.device = t.device().is_cpu() ? DLDevice{kDLCPU, 0} : DLDevice{kDLCUDA, t.device().index};
  dl.ndim = static_cast<int>(t.rank());
  dl.dtype = dtype_to_dlpack(t.dtype());
  dl.shape = held->shape.data();
  dl.strides = held->strides.data();
  dl.byte_offset = 0;
  held->managed.manager_ctx = held.get();
  held->managed.deleter = [](DLManagedTensor* m) { delete static_cast<Exported*>(m->manager_ctx); };

  PyObject* capsule = PyCapsule_New(&held->managed, "dltensor", [](PyObject* c) {
    // A capsule nobody consumed still owns the tensor; a consumed one was renamed "used_dltensor".
    if (!PyCapsule_IsValid(c, "dltensor")) return;
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(c, "dltensor"));
    m->deleter(m);
  });
  if (!capsule) throw py::error_already_set();
  held.release();
  return py::reinterpret_steal<py::capsule>(capsule);
}

py::tuple dlpack_device(const Device& device) {
  if (device.is_cpu()) return py::make_tuple(static_cast<int>(kDLCPU), 0);
  return py::make_tuple(static_cast<int>(kDLCUDA), device.index);
}

std::string buffer_format(DType dtype) {
  switch (dtype) {
    case DType::Float16: return "e";
    case DType::Float32: return "f";
    case DType::Float64: return "d";
    case DType::Int8: return "b";
    case DType::Int16: return "h";
    case DType::Int32: return "i";
    case DType::Int64: return "q";
    case DType::UInt8: return "B";
    case DType::UInt16: return "H";
    case DType::UInt32: return "I";
    case DType::UInt64: return "Q";
    case DType::Bool: return "?";
    case DType::BFloat16: return "";
  }
  return "";
}

}  // namespace lre::python
