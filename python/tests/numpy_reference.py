"""An independent numpy evaluation of the ONNX ops in resnet_tiny.onnx (Conv, BatchNormalization,
Relu, Add, MaxPool, GlobalAveragePool, Flatten, Gemm), in float64, for checking the runtime."""
import numpy as np
import onnx
from numpy.lib.stride_tricks import sliding_window_view
from onnx import numpy_helper


def _windows(x, kernel, strides, pads, fill):
    x = np.pad(x, [(0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])], constant_values=fill)
    w = sliding_window_view(x, kernel, axis=(2, 3))  # (n, c, oh, ow, kh, kw) before striding
    return w[:, :, ::strides[0], ::strides[1]]


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model_path, feeds):
    model = onnx.load(model_path)
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    values.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in model.graph.node:
        a = _attrs(node)
        x = [values[i] for i in node.input]
        op = node.op_type
        if op == "Conv":
            k = a["kernel_shape"]
            win = _windows(x[0], k, a.get("strides", [1, 1]), a.get("pads", [0] * 4), 0.0)
            y = np.einsum("nchwij,ocij->nohw", win, x[1])
            if len(x) > 2:
                y = y + x[2].reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            scale, bias, mean, var = (v.reshape(1, -1, 1, 1) for v in x[1:5])
            y = (x[0] - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale + bias
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "MaxPool":
            y = _windows(x[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0] * 4), -np.inf).max(axis=(-2, -1))
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif op == "Gemm":
            b = x[1].T if a.get("transB", 0) else x[1]
            y = x[0] @ b + (x[2] if len(x) > 2 else 0)
        else:
            raise NotImplementedError(op)
        values[node.output[0]] = y
    return [values[o.name] for o in model.graph.output]
