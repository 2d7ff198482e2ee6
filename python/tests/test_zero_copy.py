"""Memory across the boundary: inputs are consumed through DLPack in place, outputs are views of
the runtime's own buffers (no copies), layouts that are not row-major are copied rather than
misread, and outputs outlive later runs and the engine itself."""
import ctypes
import gc

import numpy as np
import pytest

import numpy_reference
from pylre import LatentRuntimeEngine as LRE

F32 = np.float32

_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype = ctypes.c_char_p
_capsule_name.argtypes = [ctypes.py_object]


class Producer:
    """A minimal DLPack producer that records the capsule it hands out."""

    def __init__(self, array):
        self.array = array
        self.capsules = []

    def __dlpack__(self, stream=None):
        assert stream is None  # host memory: consumers must not pass a stream
        capsule = self.array.__dlpack__()
        self.capsules.append(capsule)
        return capsule

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()


@pytest.fixture
def identity(model_writer):
    return model_writer("Identity", [("x", F32, ["n", "m"])], [("y", F32, ["n", "m"])])


def test_inputs_are_taken_through_dlpack(identity):
    x = np.arange(12, dtype=F32).reshape(3, 4)
    producer = Producer(x)
    np.testing.assert_array_equal(LRE(identity)(producer), x)
    assert len(producer.capsules) == 1
    # A consumer renames the capsule when it takes ownership of the tensor it points to.
    assert _capsule_name(producer.capsules[0]) == b"used_dltensor"


def test_outputs_are_views_of_runtime_memory(identity):
    lre = LRE(identity)
    lre.infer(np.ones((64, 64), F32))
    first, second = lre.get_output(0), lre.get_output(0)
    assert not first.flags.owndata and first.base is not None
    assert first.ctypes.data == second.ctypes.data
    assert first.ctypes.data == lre.get_outputs()[0].ctypes.data
    assert np.shares_memory(first, second)


def test_outputs_survive_later_runs_and_the_engine(identity):
    lre = LRE(identity)
    a = lre(np.full((2, 2), 1.0, F32))
    lre.infer(np.full((2, 2), 2.0, F32))
    b = lre.get_output(0)
    c = lre(np.full((2, 2), 3.0, F32))
    del lre
    gc.collect()
    np.testing.assert_array_equal(a, np.full((2, 2), 1.0))
    np.testing.assert_array_equal(b, np.full((2, 2), 2.0))
    np.testing.assert_array_equal(c, np.full((2, 2), 3.0))
    assert len({a.ctypes.data, b.ctypes.data, c.ctypes.data}) == 3


@pytest.mark.parametrize("make", [
    lambda base: base.T,                      # transposed
    lambda base: base[:, ::2],                # strided columns
    lambda base: base[::-1],                  # negative stride
    lambda base: base[1:, 2:5],               # offset into the buffer
    lambda base: np.broadcast_to(base[:1], base.shape),  # zero stride, read-only
])
def test_non_contiguous_inputs_give_correct_results(identity, make):
    base = np.arange(48, dtype=F32).reshape(6, 8)
    x = make(base)
    np.testing.assert_array_equal(LRE(identity)(x), np.ascontiguousarray(x))


def test_read_only_inputs(identity):
    x = np.arange(6, dtype=F32).reshape(2, 3)
    x.flags.writeable = False
    np.testing.assert_array_equal(LRE(identity)(x), x)


def test_input_memory_released_after_the_run(identity):
    import sys

    x = np.ones((4, 4), F32)
    before = sys.getrefcount(x)
    lre = LRE(identity)
    for _ in range(5):
        lre(x)
    assert sys.getrefcount(x) == before


def test_resnet_outputs_keep_their_values_across_runs(resnet_path):
    rng = np.random.default_rng(2)
    images = [rng.standard_normal((2, 3, 32, 32), dtype=F32) for _ in range(3)]
    lre = LRE(resnet_path)
    outputs = [lre(image) for image in images]
    for image, out in zip(images, outputs):
        np.testing.assert_allclose(out, numpy_reference.run(resnet_path, {"image": image})[0], rtol=1e-4, atol=1e-4)
