// Element types a tensor can hold, with their sizes and ONNX names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lre {

enum class DType : uint8_t {
  Float32, Float16, BFloat16, Float64,
  Int8, Int16, Int32, Int64,
  UInt8, UInt16, UInt32, UInt64,
  Bool,
};

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "float32", "int64", ...
bool dtype_is_float(DType t);
bool dtype_is_signed_int(DType t);
bool dtype_is_unsigned_int(DType t);

}  // namespace lre
