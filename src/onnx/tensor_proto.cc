// TensorProto decoding. Data is either raw little-endian bytes, a typed repeated field (int32_data
// also carries 8- and 16-bit types, fp16 and bf16 as bit patterns), or an external file segment.
#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/dispatch.h"
#include "lre/error.h"
#include "onnx/onnx_pb.h"

namespace lre {

DType dtype_from_onnx(int onnx_type, const std::string& what) {
  using P = onnx::TensorProto;
  switch (onnx_type) {
    case P::FLOAT: return DType::Float32;
    case P::FLOAT16: return DType::Float16;
    case P::BFLOAT16: return DType::BFloat16;
    case P::DOUBLE: return DType::Float64;
    case P::INT8: return DType::Int8;
    case P::INT16: return DType::Int16;
    case P::INT32: return DType::Int32;
    case P::INT64: return DType::Int64;
    case P::UINT8: return DType::UInt8;
    case P::UINT16: return DType::UInt16;
    case P::UINT32: return DType::UInt32;
    case P::UINT64: return DType::UInt64;
    case P::BOOL: return DType::Bool;
    default: break;
  }
  std::string name = onnx::TensorProto_DataType_IsValid(onnx_type)
                         ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnx_type))
                         : std::to_string(onnx_type);
  throw Error(ErrorCode::Unsupported, what + ": element type " + name + " is not supported");
}

int dtype_to_onnx(DType t) {
  using P = onnx::TensorProto;
  switch (t) {
    case DType::Float32: return P::FLOAT;
    case DType::Float16: return P::FLOAT16;
    case DType::BFloat16: return P::BFLOAT16;
    case DType::Float64: return P::DOUBLE;
    case DType::Int8: return P::INT8;
    case DType::Int16: return P::INT16;
    case DType::Int32: return P::INT32;
    case DType::Int64: return P::INT64;
    case DType::UInt8: return P::UINT8;
    case DType::UInt16: return P::UINT16;
    case DType::UInt32: return P::UINT32;
    case DType::UInt64: return P::UINT64;
    case DType::Bool: return P::BOOL;
  }
  return P::UNDEFINED;
}

namespace {

void read_external(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& what, Tensor& t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::stoll(kv.value());
    else if (kv.key() == "length") length = std::stoll(kv.value());
  }
  if (location.empty()) throw Error(ErrorCode::InvalidModel, what + ": external data has no location");
  std::filesystem::path rel(location);
  if (rel.is_absolute() || location.find("..") != std::string::npos)
    throw Error(ErrorCode::InvalidModel, what + ": external data location '" + location + "' must stay inside the model directory");
  std::filesystem::path path = std::filesystem::path(base_dir) / rel;
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, what + ": cannot open external data file " + path.string());
  f.seekg(0, std::ios::end);
  int64_t file_size = f.tellg();
  int64_t want = static_cast<int64_t>(t.nbytes());
  if (length >= 0 && length != want)
    throw Error(ErrorCode::InvalidModel, what + ": external data length " + std::to_string(length) +
                                             " does not match the tensor's " + std::to_string(want) + " bytes");
  if (offset < 0 || offset + want > file_size)
    throw Error(ErrorCode::InvalidModel, what + ": external data file " + path.string() + " has " +
                                             std::to_string(file_size) + " bytes, needs " +
                                             std::to_string(offset + want));
  f.seekg(offset);
  f.read(static_cast<char*>(t.raw()), want);
  if (!f) throw Error(ErrorCode::Io, what + ": reading external data from " + path.string() + " failed");
}

template <typename Field>
void check_count(const Field& field, int64_t n, const std::string& what) {
  if (static_cast<int64_t>(field.size()) != n)
    throw Error(ErrorCode::InvalidModel, what + ": holds " + std::to_string(field.size()) + " values, shape needs " +
                                             std::to_string(n));
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& what) {
  if (proto.data_type() == onnx::TensorProto::STRING)
    throw Error(ErrorCode::Unsupported, what + ": string tensors are not supported");
  DType dtype = dtype_from_onnx(proto.data_type(), what);
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) throw Error(ErrorCode::InvalidModel, what + ": negative dimension in " + shape_to_string(shape));
  if (proto.has_segment()) throw Error(ErrorCode::Unsupported, what + ": segmented tensors are not supported");
  Tensor t(dtype, shape);
  int64_t n = t.numel();

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    read_external(proto, base_dir, what, t);
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != t.nbytes())
      throw Error(ErrorCode::InvalidModel, what + ": raw data has " + std::to_string(proto.raw_data().size()) +
                                               " bytes, shape " + shape_to_string(shape) + " of " + dtype_name(dtype) +
                                               " needs " + std::to_string(t.nbytes()));
    if (n) std::memcpy(t.raw(), proto.raw_data().data(), t.nbytes());
    return t;
  }
  switch (dtype) {
    case DType::Float32:
      check_count(proto.float_data(), n, what);
      std::copy(proto.float_data().begin(), proto.float_data().end(), t.data<float>());
      break;
    case DType::Float64:
      check_count(proto.double_data(), n, what);
      std::copy(proto.double_data().begin(), proto.double_data().end(), t.data<double>());
      break;
    case DType::Int64:
      check_count(proto.int64_data(), n, what);
      std::copy(proto.int64_data().begin(), proto.int64_data().end(), t.data<int64_t>());
      break;
    case DType::UInt32: case DType::UInt64:
      check_count(proto.uint64_data(), n, what);
      dispatch_dtype(dtype, [&]<typename T>() {
        for (int64_t i = 0; i < n; ++i) t.data<T>()[i] = static_cast<T>(proto.uint64_data(static_cast<int>(i)));
      });
      break;
    case DType::Float16: case DType::BFloat16:
      check_count(proto.int32_data(), n, what);
      for (int64_t i = 0; i < n; ++i)
        t.data<uint16_t>()[i] = static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)));
      break;
    default:  // int8/16/32, uint8/16, bool travel in int32_data
      check_count(proto.int32_data(), n, what);
      dispatch_dtype(dtype, [&]<typename T>() {
        if constexpr (std::is_integral_v<T>)
          for (int64_t i = 0; i < n; ++i) t.data<T>()[i] = static_cast<T>(proto.int32_data(static_cast<int>(i)));
      });
      break;
  }
  return t;
}

Tensor read_tensor_proto_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, "cannot open " + path);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) throw Error(ErrorCode::InvalidArgument, path + " is not a serialized ONNX TensorProto");
  std::string dir = std::filesystem::path(path).parent_path().string();
  return tensor_from_proto(proto, dir.empty() ? "." : dir, path);
}

void write_tensor_proto_file(const Tensor& t, const std::string& name, const std::string& path) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(dtype_to_onnx(t.dtype()));
  for (int64_t d : t.shape()) proto.add_dims(d);
  proto.set_raw_data(t.raw(), t.nbytes());
  std::ofstream f(path, std::ios::binary);
  if (!f || !proto.SerializeToOstream(&f)) throw Error(ErrorCode::Io, "cannot write " + path);
}

}  // namespace lre
