// lre::Error at the Python boundary: each error code becomes the built-in exception a Python
// caller expects (ValueError for bad arguments, FileNotFoundError for a missing model, ...).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "lre/error.h"

namespace lre::python {

// Installs the translator so any lre::Error escaping a binding raises its Python exception.
void register_error_translator();

// Raises a missing-file I/O error as FileNotFoundError (a subclass of OSError), the rest as
// translated by code. Used where the model path is known.
[[noreturn]] void raise_load_error(const Error& e, const std::string& path);

}  // namespace lre::python
