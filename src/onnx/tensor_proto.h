// Conversion of ONNX TensorProto (initializers, Constant attributes, test-data .pb files) to host
// tensors, including tensors stored in external data files.
#pragma once

#include <string>

#include "lre/tensor.h"

namespace onnx {
class TensorProto;
}

namespace lre {

// Maps an ONNX TensorProto_DataType to a DType; throws Unsupported naming `what` for others.
DType dtype_from_onnx(int onnx_type, const std::string& what);
int dtype_to_onnx(DType t);

// `base_dir` resolves external data locations; `what` names the tensor in errors.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& what);

// Reads a serialized TensorProto file (the ONNX test-data input_N.pb / output_N.pb format).
Tensor read_tensor_proto_file(const std::string& path);
void write_tensor_proto_file(const Tensor& t, const std::string& name, const std::string& path);

}  // namespace lre
