"""Every way of calling a LatentRuntimeEngine: positional, several positional, dict, infer() with
get_outputs()/get_output(), lists, one output versus several."""
from pathlib import Path

import numpy as np
import pytest

import numpy_reference
from model_files import write_model
from onnx import helper
from pylre import LatentRuntimeEngine as LRE

F32 = np.float32


@pytest.fixture
def add_model(model_writer):
    return model_writer("Add", [("a", F32, [2, 3]), ("b", F32, [2, 3])], [("sum", F32, [2, 3])])


@pytest.fixture
def two_outputs(tmp_path):
    nodes = [helper.make_node("Add", ["x", "y"], ["sum"]), helper.make_node("Mul", ["x", "y"], ["product"])]
    return write_model(tmp_path / "two.onnx", nodes, [("x", F32, ["n"]), ("y", F32, ["n"])],
                       [("sum", F32, ["n"]), ("product", F32, ["n"])])


def test_single_input_positional(resnet_path):
    rng = np.random.default_rng(0)
    image = rng.standard_normal((2, 3, 32, 32), dtype=F32)
    logits = LRE(resnet_path)(image)
    assert isinstance(logits, np.ndarray) and logits.shape == (2, 10) and logits.dtype == F32
    np.testing.assert_allclose(logits, numpy_reference.run(resnet_path, {"image": image})[0], rtol=1e-4, atol=1e-4)


def test_two_inputs_positional_and_dict(add_model):
    a = np.arange(6, dtype=F32).reshape(2, 3)
    b = np.full((2, 3), 0.5, dtype=F32)
    lre = LRE(add_model)
    np.testing.assert_array_equal(lre(a, b), a + b)
    np.testing.assert_array_equal(lre({"a": a, "b": b}), a + b)
    np.testing.assert_array_equal(lre({"b": b, "a": a}), a + b)


def test_infer_then_get_outputs(add_model):
    a = np.ones((2, 3), F32)
    b = np.arange(6, dtype=F32).reshape(2, 3)
    lre = LRE(add_model)
    assert lre.get_outputs() == []
    assert lre.infer(a, b) is None
    outputs = lre.get_outputs()
    assert isinstance(outputs, list) and len(outputs) == 1
    np.testing.assert_array_equal(outputs[0], a + b)
    np.testing.assert_array_equal(lre.get_output(0), a + b)
    np.testing.assert_array_equal(lre.get_output(-1), a + b)
    with pytest.raises(IndexError):
        lre.get_output(1)


def test_lists_are_converted_to_the_input_dtype(add_model):
    lre = LRE(add_model)
    out = lre([[1, 2, 3], [4, 5, 6]], [[0.5] * 3] * 2)
    assert out.dtype == F32
    np.testing.assert_array_equal(out, [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]])


def test_several_outputs_come_back_as_a_tuple(two_outputs):
    x = np.array([1, 2, 3, 4], F32)
    y = np.array([2, 2, 0.5, -1], F32)
    lre = LRE(two_outputs)
    result = lre(x, y)
    assert isinstance(result, tuple) and len(result) == 2
    np.testing.assert_array_equal(result[0], x + y)
    np.testing.assert_array_equal(result[1], x * y)
    lre.infer({"x": x, "y": y})
    s, p = lre.get_outputs()
    np.testing.assert_array_equal(s, x + y)
    np.testing.assert_array_equal(p, x * y)


def test_dynamic_batch_changes_between_calls(resnet_path):
    rng = np.random.default_rng(1)
    lre = LRE(resnet_path)
    for batch in (1, 3, 1):
        image = rng.standard_normal((batch, 3, 32, 32), dtype=F32)
        np.testing.assert_allclose(lre(image), numpy_reference.run(resnet_path, {"image": image})[0], rtol=1e-4, atol=1e-4)


def test_path_like_and_engine_cache_alias(add_model, tmp_path):
    lre = LRE(Path(add_model), engine_cache=tmp_path / "cache")
    assert lre.input_names == ["a", "b"]
    lre = LRE(add_model, tensorrt_engine_cache=str(tmp_path / "cache"), precision="fp32", device="cpu")
    assert lre.model_precision == "float32"
