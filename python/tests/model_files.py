"""Writes small ONNX models with the onnx package for the pylre tests: the graph, its typed
inputs and outputs, checked by the ONNX checker before saving."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

ONNX_TYPES = {
    np.dtype("float32"): TensorProto.FLOAT, np.dtype("float64"): TensorProto.DOUBLE,
    np.dtype("float16"): TensorProto.FLOAT16, np.dtype("bool"): TensorProto.BOOL,
    np.dtype("int8"): TensorProto.INT8, np.dtype("int16"): TensorProto.INT16,
    np.dtype("int32"): TensorProto.INT32, np.dtype("int64"): TensorProto.INT64,
    np.dtype("uint8"): TensorProto.UINT8, np.dtype("uint16"): TensorProto.UINT16,
    np.dtype("uint32"): TensorProto.UINT32, np.dtype("uint64"): TensorProto.UINT64,
}


def write_model(path, nodes, inputs, outputs, opset=13, initializers=()):
    """inputs/outputs: (name, numpy dtype, shape with ints, symbol strings or None)."""
    def info(name, dtype, shape):
        return helper.make_tensor_value_info(name, ONNX_TYPES[np.dtype(dtype)], shape)

    graph = helper.make_graph(nodes, os.path.splitext(os.path.basename(str(path)))[0],
                              [info(*i) for i in inputs], [info(*o) for o in outputs], list(initializers))
    model = helper.make_model(graph, producer_name="pylre-tests", opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))
    return str(path)
