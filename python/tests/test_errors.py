"""Failures become Python exceptions carrying the runtime's message, and never crash the process:
missing or broken model files, wrong input names, dtypes, shapes and counts, bad options."""
import os

import numpy as np
import pytest

from pylre import LatentRuntimeEngine as LRE

F32 = np.float32


@pytest.fixture
def add_model(model_writer):
    return model_writer("Add", [("a", F32, ["batch", 3]), ("b", F32, ["batch", 3])], [("c", F32, ["batch", 3])])


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.onnx")
    with pytest.raises(FileNotFoundError, match="no such file") as e:
        LRE(path)
    assert path in str(e.value)


def test_directory_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="is a directory"):
        LRE(tmp_path)


@pytest.mark.parametrize("content", [b"", b"this is not a protobuf \x00\xff\x13" * 10, os.urandom(4096)])
def test_garbage_file_raises(tmp_path, content):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match="garbage.onnx"):
        LRE(path)


def test_wrong_shape(add_model):
    lre = LRE(add_model)
    with pytest.raises(ValueError, match="input 'a' expects dimension 1 to be 3"):
        lre(np.zeros((2, 4), F32), np.zeros((2, 4), F32))
    with pytest.raises(ValueError, match="expects rank 2"):
        lre(np.zeros(3, F32), np.zeros(3, F32))


def test_wrong_dtype(add_model):
    with pytest.raises(ValueError, match="input 'a' expects float32, got float64"):
        LRE(add_model)(np.zeros((1, 3)), np.zeros((1, 3), F32))


def test_wrong_names_and_counts(add_model):
    lre = LRE(add_model)
    x = np.zeros((1, 3), F32)
    with pytest.raises(ValueError, match="unknown input 'c'"):
        lre({"a": x, "c": x})
    with pytest.raises(ValueError, match="missing input 'b'"):
        lre({"a": x})
    with pytest.raises(ValueError, match="takes 2 input"):
        lre(x)
    with pytest.raises(ValueError, match="takes 2 input"):
        lre(x, x, x)
    # The engine is still usable after every failure.
    np.testing.assert_array_equal(lre(x + 1, x + 2), x + 3)


def test_unsupported_array_dtype(model_writer):
    path = model_writer("Identity", [("x", F32, [2])], [("y", F32, [2])])
    with pytest.raises(ValueError, match="input 'x'"):
        LRE(path)(np.zeros(2, np.complex64))


def test_bad_options(add_model):
    with pytest.raises(ValueError, match="precision 'int3'"):
        LRE(add_model, precision="int3")
    with pytest.raises(ValueError, match="device 'tpu'"):
        LRE(add_model, device="tpu")
    with pytest.raises(ValueError, match="device 'cuda:x'"):
        LRE(add_model, device="cuda:x")
    with pytest.raises(ValueError, match="cuda_stream"):
        LRE(add_model, cuda_stream=1234, device="cpu")
    with pytest.raises(ValueError, match="same option"):
        LRE(add_model, tensorrt_engine_cache="/tmp/a", engine_cache="/tmp/b")
    with pytest.raises(ValueError, match="n must be"):
        LRE(add_model).warm_up(-1)


def test_unsupported_precision_and_device_are_runtime_errors(add_model):
    # NotImplementedError is a RuntimeError: callers catching RuntimeError see device failures too.
    with pytest.raises(NotImplementedError, match="fp32 only"):
        LRE(add_model, precision="fp16")
    with pytest.raises(RuntimeError):
        LRE(add_model, precision="bf16")
    with pytest.raises(RuntimeError, match="cuda:1"):
        LRE(add_model, device="cuda:1")
