"""Element types through the DLPack bridge both ways: Identity for every dtype the runtime holds,
Add and Cast checked against numpy's arithmetic."""
import numpy as np
import pytest

from model_files import ONNX_TYPES
from pylre import LatentRuntimeEngine as LRE

DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool"]


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), shape, endpoint=True).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_identity_round_trip(model_writer, dtype):
    path = model_writer("Identity", [("x", dtype, [3, 5])], [("y", dtype, [3, 5])])
    x = sample(dtype, (3, 5))
    y = LRE(path)(x)
    assert y.dtype == np.dtype(dtype) and y.shape == (3, 5)
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_add_matches_numpy(model_writer, dtype):
    path = model_writer("Add", [("a", dtype, [4, 1, 3]), ("b", dtype, [2, 3])], [("c", dtype, [4, 2, 3])])
    a, b = sample(dtype, (4, 1, 3), 1), sample(dtype, (2, 3), 2)
    np.testing.assert_allclose(LRE(path)(a, b), a + b, rtol=1e-6)


@pytest.mark.parametrize("src,dst", [("int64", "float32"), ("float32", "int32"), ("uint8", "float64"),
                                     ("float64", "float16"), ("int32", "bool")])
def test_cast_matches_numpy(model_writer, src, dst):
    path = model_writer("Cast", [("x", src, [7])], [("y", dst, [7])], to=ONNX_TYPES[np.dtype(dst)])
    x = sample(src, (7,), 3)
    y = LRE(path)(x)
    assert y.dtype == np.dtype(dst)
    np.testing.assert_array_equal(y, x.astype(dst))


def test_scalars_and_empty_tensors(model_writer):
    path = model_writer("Identity", [("x", "float32", ["n"])], [("y", "float32", ["n"])])
    lre = LRE(path)
    empty = lre(np.zeros((0,), np.float32))
    assert empty.shape == (0,) and empty.dtype == np.float32
    scalar_path = model_writer("Identity", [("s", "int64", [])], [("t", "int64", [])])
    out = LRE(scalar_path)(np.int64(42))
    assert out.shape == () and int(out) == 42
