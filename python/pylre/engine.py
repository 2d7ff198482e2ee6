"""LatentRuntimeEngine: the call forms and array kinds of Latent AI's pylre over the C++ engine.

The C++ side (_pylre.Engine) imports arrays through DLPack and runs without the GIL; this file
maps positional and dict inputs to names, tells the engine which CUDA stream the caller works on
(torch's current stream), and turns outputs back into the caller's kind of array (numpy or torch)
without copying them. torch is imported only when a torch tensor comes in.
The engine is held, not inherited: an object whose model failed to load has no C++ half to crash
into, so repr() of it in a traceback is safe.
"""
import operator
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
        if t.is_cuda:
            raise
        # Older torch takes no DLPack bool: share the memory through numpy instead.
        return torch.from_numpy(np.asarray(t))


def _torch_capsule(torch, x):
    """A torch tensor as a DLPack capsule with no stream handshake: it was made on the caller's
    stream, which the engine orders itself after. Dense row-major, as the kernels read it."""
    if x.requires_grad:
        x = x.detach()  # DLPack refuses tensors that require grad; detach shares the memory
    if not x.is_contiguous():
        x = x.contiguous()  # on the caller's stream, so the run is ordered after the copy too
    try:
        return torch.utils.dlpack.to_dlpack(x)
    except (BufferError, RuntimeError):
        if x.is_cuda:
            raise
        return x.numpy()  # older torch exports no bool through DLPack; numpy shares the memory


def _stream_handle(stream):
    """cuda_stream as an int handle: a raw cudaStream_t, or anything with .cuda_stream (torch.cuda.Stream)."""
    if stream is None:
        return None
    handle = getattr(stream, "cuda_stream", stream)
    if isinstance(handle, bool):
        raise TypeError("cuda_stream: expected a stream handle (int) or a torch.cuda.Stream, got a bool")
    try:
        handle = operator.index(handle)
    except TypeError:
        raise TypeError("cuda_stream: expected a stream handle (int) or a torch.cuda.Stream, got "
                        f"{type(stream).__name__}") from None
    if handle < 0:
        raise ValueError(f"cuda_stream: a stream handle is >= 0, got {handle}")
    return handle


def _current_stream_getter(torch):
    """A function giving the raw handle of torch's current stream on a device index."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    if raw is not None:
        return raw
    return lambda index: torch.cuda.current_stream(index).cuda_stream


def _engine_property(name, doc):
    return property(lambda self: getattr(self._engine, name), doc=doc)


class LatentRuntimeEngine:
    """A compiled ONNX model with its own execution contexts.

    LatentRuntimeEngine(model_path, cuda_stream=None, tensorrt_engine_cache=None, precision=None,
                        device=None, *, engine_cache=None)

    cuda_stream: the stream the runs are enqueued on, as a raw cudaStream_t handle (int, e.g.
        torch.cuda.Stream.cuda_stream) or a torch.cuda.Stream; CUDA devices only. Without it a
        call runs on the caller's current torch stream, or on the engine's own stream when that
        is a default stream or torch is not in use.
    tensorrt_engine_cache / engine_cache: directory of the engine cache.
    precision: None, "fp32"/"float32", "fp16"/"float16", "bf16"/"bfloat16".
    device: None (cuda:0 when the build has CUDA and a GPU is visible, else cpu), "cpu", "cuda",
        "cuda:N".

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
        if device is not None and not isinstance(device, str):
            device = str(device)  # torch.device("cuda", 1) -> "cuda:1"
        self._engine = _pylre.Engine(os.fspath(model_path), _stream_handle(cuda_stream),
                                     None if cache is None else os.fspath(cache), precision, device)
        self._input_dtypes = dict(zip(self._engine.input_names, self._engine.input_dtypes))
        self._cuda_index = self._engine.device_index if self._engine.device_type == "cuda" else None
        self._current_stream = None
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
        """Runs n times on zeros of the declared shapes (dynamic dimensions 1), in the context a call
        from the current stream would use; outputs stay as they were."""
        self._engine.warm_up(n, self._caller_stream())

    def get_metadata(self):
        """Model name, producer, IR version, opsets, op counts, node counts, parameters, device and precision."""
        return self._engine.get_metadata()

    def __repr__(self):
        engine = self.__dict__.get("_engine")
        return repr(engine) if engine is not None else "LatentRuntimeEngine(<not loaded>)"

    def _caller_stream(self):
        """torch's current stream on the engine's device when torch has CUDA in use, else None."""
        if self._cuda_index is None:
            return None
        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_initialized():
            return None
        if self._current_stream is None:
            self._current_stream = _current_stream_getter(torch)
        return self._current_stream(self._cuda_index)

    def _infer(self, inputs):
        if len(inputs) == 1 and isinstance(inputs[0], Mapping):
            named = list(inputs[0].items())
        else:
            names = self._engine.input_names
            if len(inputs) != len(names):
                raise ValueError(f"{self._engine.model_path}: the model takes {len(names)} input(s) "
                                 f"({', '.join(names)}), got {len(inputs)}")
            named = list(zip(names, inputs))
        torch = _torch_of(named[0][1]) if named else None
        caller = self._caller_stream()
        outputs = self._engine.run([(name, self._array(name, x)) for name, x in named], caller)
        # Kept for get_outputs(); this call converts by its own inputs, whatever other threads do.
        self._torch_out = torch is not None
        if torch is None:
            return [t if t.is_cuda else _to_numpy(t) for t in outputs]
        # Device outputs: the run already ordered the caller's stream after itself.
        return [torch.utils.dlpack.from_dlpack(t._dlpack_ordered(caller)) if t.is_cuda and caller is not None
                else _to_torch(t) for t in outputs]

    def _array(self, name, x):
        torch = _torch_of(x)
        if torch is not None:
            return _torch_capsule(torch, x)
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
        # Later than the run: torch's DLPack import hands its current stream to __dlpack__, which
        # waits for the run with an event.
        if self._torch_out:
            return _to_torch(t)
        return t if t.is_cuda else _to_numpy(t)
