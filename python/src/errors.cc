// The mapping from lre::ErrorCode to Python exceptions. The message is always the C++ message,
// which names the model, node or input at fault.
//   InvalidArgument -> ValueError      (wrong input name, dtype, rank or dimension; bad option)
//   Unsupported     -> NotImplementedError (a RuntimeError: fp16 on the CPU, a missing kernel)
//   OutOfMemory     -> MemoryError
//   Io              -> OSError, FileNotFoundError when the model file does not exist
//   InvalidModel, Device, Internal -> RuntimeError
#include "errors.h"

#include <filesystem>

namespace py = pybind11;

namespace lre::python {

namespace {

PyObject* exception_type(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return PyExc_ValueError;
    case ErrorCode::Unsupported: return PyExc_NotImplementedError;
    case ErrorCode::OutOfMemory: return PyExc_MemoryError;
    case ErrorCode::Io: return PyExc_OSError;
    case ErrorCode::InvalidModel:
    case ErrorCode::Device:
    case ErrorCode::Internal: return PyExc_RuntimeError;
  }
  return PyExc_RuntimeError;
}

}  // namespace

void register_error_translator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(exception_type(e.code()), e.what());
    }
  });
}

void raise_load_error(const Error& e, const std::string& path) {
  std::error_code ec;
  if (e.code() == ErrorCode::Io && !std::filesystem::exists(path, ec)) {
    PyErr_SetString(PyExc_FileNotFoundError, e.what());
    throw py::error_already_set();
  }
  throw e;
}

}  // namespace lre::python
