"""Device, stream and precision arguments where no GPU runs: the default device, clear errors for
CUDA requests a CPU build or a GPU-less machine cannot serve, cuda_stream checks, device arrays
given to a CPU engine, and the stream argument of the output tensor's __dlpack__. The CUDA paths
themselves are tested on the GPU machine (python/tests_gpu)."""
import ctypes

import numpy as np
import pytest

from pylre import LatentRuntimeEngine as LRE
from pylre import _pylre

no_gpu = pytest.mark.skipif(_pylre.cuda_devices() > 0, reason="a GPU is visible")
KDL_CUDA = 2


@pytest.fixture
def identity(model_writer):
    return model_writer("Identity", [("x", "float32", [2, 3])], [("y", "float32", [2, 3])])


def test_default_device_follows_the_gpus_the_runtime_sees(identity):
    lre = LRE(identity)
    assert lre.device == ("cuda:0" if _pylre.cuda_devices() > 0 else "cpu")
    assert lre.device_type == lre.device.split(":")[0]


def test_explicit_cpu(identity):
    lre = LRE(identity, device="cpu")
    assert (lre.device, lre.device_type, lre.cuda_stream) == ("cpu", "cpu", None)
    np.testing.assert_array_equal(lre(np.ones((2, 3), np.float32)), np.ones((2, 3)))


def test_device_objects_are_taken_by_name(identity):
    class DeviceLike:  # what torch.device looks like to str()
        def __str__(self):
            return "cpu"

    assert LRE(identity, device=DeviceLike()).device == "cpu"


@no_gpu
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "gpu", "CUDA:1"])
def test_cuda_without_a_gpu_is_a_clear_error(identity, device):
    # A CPU build says it has no CUDA backend, a CUDA build how many GPUs it sees.
    with pytest.raises(RuntimeError, match=r"cuda:\d is not available"):
        LRE(identity, device=device)


@no_gpu
def test_cuda_stream_without_cuda(identity):
    with pytest.raises(ValueError, match="cuda_stream is given but the engine runs on cpu .no device given and no CUDA GPU"):
        LRE(identity, cuda_stream=1234)
    with pytest.raises(ValueError, match="cuda_stream is given but the engine runs on cpu; pass device='cuda'"):
        LRE(identity, cuda_stream=1234, device="cpu")


def test_cuda_stream_forms(identity):
    class StreamLike:  # torch.cuda.Stream carries its handle as .cuda_stream
        cuda_stream = 1234

    with pytest.raises(ValueError, match="cuda_stream is given"):
        LRE(identity, cuda_stream=StreamLike(), device="cpu")
    with pytest.raises(ValueError, match="cuda_stream is given"):
        LRE(identity, cuda_stream=np.int64(1234), device="cpu")
    with pytest.raises(TypeError, match="cuda_stream: expected a stream handle"):
        LRE(identity, cuda_stream="stream", device="cpu")
    with pytest.raises(TypeError, match="got a bool"):
        LRE(identity, cuda_stream=True, device="cpu")
    with pytest.raises(ValueError, match="a stream handle is >= 0"):
        LRE(identity, cuda_stream=-3, device="cpu")


@pytest.mark.parametrize("precision", ["fp16", "float16", "half", "bf16", "bfloat16"])
def test_reduced_precision_on_cpu(identity, precision):
    with pytest.raises(NotImplementedError, match="fp32 only"):
        LRE(identity, precision=precision, device="cpu")


def test_metadata_names_device_and_precision(identity):
    meta = LRE(identity, device="cpu", precision="float32").get_metadata()
    assert meta["device"] == "cpu" and meta["precision"] == "float32"


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32), ("dtype", DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class FakeCudaArray:
    """A DLPack producer claiming float32 (2, 3) memory on cuda:0 (never read: the engine must refuse
    it first). Records the stream each __dlpack__ call asked for."""

    def __init__(self):
        self.shape = (ctypes.c_int64 * 2)(2, 3)
        self.managed = DLManagedTensor()
        t = self.managed.dl_tensor
        t.data, t.device, t.ndim = 0x1000, DLDevice(KDL_CUDA, 0), 2
        t.dtype, t.shape = DLDataType(2, 32, 1), self.shape
        self.streams = []

    def __dlpack_device__(self):
        return (KDL_CUDA, 0)

    def __dlpack__(self, stream=None):
        self.streams.append(stream)
        new = ctypes.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return new(ctypes.addressof(self.managed), b"dltensor", None)


def test_device_array_for_a_cpu_engine_is_a_value_error(identity):
    x = FakeCudaArray()
    lre = LRE(identity, device="cpu")
    with pytest.raises(ValueError, match="input 'x' is on cuda:0, the engine runs on cpu"):
        lre(x)
    assert x.streams == [None]  # a CPU engine asks for no stream order
    np.testing.assert_array_equal(lre(np.ones((2, 3), np.float32)), np.ones((2, 3)))


def test_host_output_dlpack_arguments(identity):
    t = LRE(identity, device="cpu")._engine.run([("x", np.ones((2, 3), np.float32))])[0]
    assert not t.is_cuda
    # Host memory is ready when the run returns: any stream argument is accepted and ignored.
    for stream in (None, -1, 1, 12345):
        np.testing.assert_array_equal(np.from_dlpack(_Exporter(t, stream)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="stream must be None, -1 or a stream handle"):
        t.__dlpack__(stream=-7)
    with pytest.raises(BufferError, match="cross-device"):
        t.__dlpack__(dl_device=(KDL_CUDA, 0))
    copied = np.from_dlpack(_Exporter(t, None, copy=True))
    assert copied.ctypes.data != np.from_dlpack(t).ctypes.data


class _Exporter:
    """Hands numpy t's capsule made with the given __dlpack__ arguments."""

    def __init__(self, t, stream, copy=None):
        self.t, self.stream, self.copy = t, stream, copy

    def __dlpack_device__(self):
        return self.t.__dlpack_device__()

    def __dlpack__(self, stream=None, **kwargs):
        return self.t.__dlpack__(stream=self.stream, copy=self.copy)
