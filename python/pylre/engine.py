"""LatentRuntimeEngine: the call forms and array kinds of Latent AI's pylre over the C++ engine.

The C++ side (_pylre.Engine) imports arrays through DLPack and runs without the GIL; this file
maps positional and dict inputs to names and turns outputs back into the caller's kind of array
(numpy or torch) without copying them. torch is imported only when a torch tensor comes in.
The engine is held, not inherited: an object whose model failed to load has no C++ half to crash
into, so repr() of it in a traceback is safe.
"""
import os
import sys
from collections.abc import Mapping

import numpy as np

from . import _pylre


def _torch_of(x):
    """The torch module when `x` is a torch tensor, else None (never imports torch itself)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def _to_numpy(t):
    try:
        return np.from_dlpack(t)
    except (BufferError, TypeError, RuntimeError):
        # numpy < 1.25 takes no bool through DLPack; the buffer protocol is just as zero-copy.
        return np.asarray(t)


def _to_torch(t):
    import torch.utils.dlpack

    try:
        return torch.utils.dlpack.from_dlpack(t)
    except (BufferError, TypeError, RuntimeError):
        # Older torch takes no DLPack bool: share the memory through numpy instead.
        return torch.from_numpy(np.asarray(t))


def _engine_property(name, doc):
    return property(lambda self: getattr(self._engine, name), doc=doc)


class LatentRuntimeEngine:
    """A compiled ONNX model with its own execution context.

    LatentRuntimeEngine(model_path, cuda_stream=None, tensorrt_engine_cache=None, precision=None,
                        device=None, *, engine_cache=None)

    cuda_stream: a raw cudaStream_t handle (int) the runs are ordered on; CUDA devices only.
    tensorrt_engine_cache / engine_cache: directory of the engine cache.
    precision: None, "fp32"/"float32", "fp16"/"float16", "bf16"/"bfloat16".
    device: None (cpu for now), "cpu", "cuda", "cuda:N".

    Calls take lre(x), lre(x1, x2) (in input_names order) or lre({"name": x}); arrays are numpy
    arrays, torch tensors, anything with __dlpack__ or the buffer protocol, or nested lists
    (converted with numpy to the input's dtype). One output returns that array, several a tuple.
    """

    input_names = _engine_property("input_names", "Model input names, in positional-call order")
    output_names = _engine_property("output_names", "Model output names, in output order")
    input_shapes = _engine_property("input_shapes", "Declared input shapes: ints, symbol names or None")
    output_shapes = _engine_property("output_shapes", "Declared output shapes: ints, symbol names or None")
    input_dtypes = _engine_property("input_dtypes", "Input dtype names ('float32', 'int64', ...)")
    output_dtypes = _engine_property("output_dtypes", "Output dtype names")
    model_precision = _engine_property("model_precision", "'float32', 'float16' or 'bfloat16'")
    device_type = _engine_property("device_type", "'cpu' or 'cuda'")
    device = _engine_property("device", "'cpu' or 'cuda:N'")
    cuda_stream = _engine_property("cuda_stream", "The stream handle given at construction, or None")
    model_path = _engine_property("model_path", "The model file")

    def __init__(self, model_path, cuda_stream=None, tensorrt_engine_cache=None, precision=None, device=None,
                 *, engine_cache=None):
        if tensorrt_engine_cache is not None and engine_cache is not None and tensorrt_engine_cache != engine_cache:
            raise ValueError("tensorrt_engine_cache and engine_cache are the same option; give one")
        cache = tensorrt_engine_cache if tensorrt_engine_cache is not None else engine_cache
        self._engine = _pylre.Engine(os.fspath(model_path), cuda_stream, None if cache is None else os.fspath(cache),
                                     precision, device)
        self._input_dtypes = dict(zip(self._engine.input_names, self._engine.input_dtypes))
        self._torch_out = False

    def __call__(self, *inputs):
        outputs = self._infer(inputs)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def infer(self, *inputs):
        """Runs the model; get_outputs() and get_output(i) return the results."""
        self._infer(inputs)

    def get_outputs(self):
        """The outputs of the latest infer(), in output_names order, of the kind its inputs were."""
        return [self._convert(t) for t in self._engine.outputs()]

    def get_output(self, index):
        return self._convert(self._engine.outputs()[index])

    def warm_up(self, n=10):
        """Runs n times on zeros of the declared shapes (dynamic dimensions 1); outputs stay as they were."""
        self._engine.warm_up(n)

    def get_metadata(self):
        """Model name, producer, IR version, opsets, op counts, node counts and parameters."""
        return self._engine.get_metadata()

    def __repr__(self):
        engine = self.__dict__.get("_engine")
        return repr(engine) if engine is not None else "LatentRuntimeEngine(<not loaded>)"

    def _infer(self, inputs):
        if len(inputs) == 1 and isinstance(inputs[0], Mapping):
            named = list(inputs[0].items())
        else:
            names = self._engine.input_names
            if len(inputs) != len(names):
                raise ValueError(f"{self._engine.model_path}: the model takes {len(names)} input(s) "
                                 f"({', '.join(names)}), got {len(inputs)}")
            named = list(zip(names, inputs))
        torch_out = bool(named) and _torch_of(named[0][1]) is not None
        outputs = self._engine.run([(name, self._array(name, x)) for name, x in named])
        # Kept for get_outputs(); this call converts by its own inputs, whatever other threads do.
        self._torch_out = torch_out
        return [_to_torch(t) if torch_out else _to_numpy(t) for t in outputs]

    def _array(self, name, x):
        if _torch_of(x) is not None:
            return x.detach()  # DLPack refuses tensors that require grad; detach shares the memory
        if hasattr(x, "__dlpack__"):
            return x
        try:
            memoryview(x)
            return x
        except TypeError:
            pass
        dtype = self._input_dtypes.get(name)
        return np.asarray(x, dtype=dtype if dtype in np.sctypeDict else None)

    def _convert(self, t):
        return _to_torch(t) if self._torch_out else _to_numpy(t)
