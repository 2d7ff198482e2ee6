"""What an engine says about its model: names, declared shapes (symbols for dynamic dimensions),
dtypes, precision, device, metadata, repr, and warm_up."""
import numpy as np

from pylre import LatentRuntimeEngine as LRE


def test_resnet_description(resnet_path):
    lre = LRE(resnet_path)
    assert lre.input_names == ["image"]
    assert lre.output_names == ["logits"]
    assert lre.input_shapes == [("batch", 3, 32, 32)]
    assert lre.output_shapes == [("batch", 10)]
    assert lre.input_dtypes == ["float32"]
    assert lre.output_dtypes == ["float32"]
    assert lre.model_precision == "float32"
    assert lre.device_type == "cpu"
    assert lre.device == "cpu"
    assert lre.cuda_stream is None
    assert lre.model_path == resnet_path


def test_unnamed_dynamic_dims_are_none(model_writer):
    path = model_writer("Identity", [("x", "int64", [None, 4])], [("y", "int64", [None, 4])])
    assert LRE(path).input_shapes == [(None, 4)]


def test_metadata(resnet_path):
    import onnx

    model = onnx.load(resnet_path)
    meta = LRE(resnet_path).get_metadata()
    assert meta["name"] == model.graph.name
    assert meta["producer"] == "lre-example"
    assert meta["opsets"][""] == 13
    assert meta["ir_version"] == 8
    assert meta["parameters"] == sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert meta["nodes_loaded"] == len(model.graph.node)
    assert sum(meta["op_counts"].values()) == meta["nodes_compiled"]
    assert meta["op_counts"]["Gemm"] == 1


def test_repr(resnet_path):
    text = repr(LRE(resnet_path))
    assert text.startswith("LatentRuntimeEngine(model='")
    assert "image: float32 [batch, 3, 32, 32]" in text and "logits: float32 [batch, 10]" in text
    assert "device='cpu'" in text and "precision='float32'" in text


def test_warm_up_keeps_the_current_outputs(resnet_path):
    lre = LRE(resnet_path)
    lre.warm_up()
    lre.warm_up(n=2)
    assert lre.get_outputs() == []
    image = np.ones((1, 3, 32, 32), np.float32)
    expected = lre(image).copy()
    lre.warm_up(3)
    np.testing.assert_array_equal(lre.get_output(0), expected)


def test_repr_of_an_engine_that_failed_to_load():
    lre = LRE.__new__(LRE)
    assert repr(lre) == "LatentRuntimeEngine(<not loaded>)"


def test_output_tensor_type(model_writer):
    import pylre

    path = model_writer("Identity", [("x", "float32", [2, 3])], [("y", "float32", [2, 3])])
    engine = LRE(path)._engine
    t = engine.run([("x", np.ones((2, 3), np.float32))])[0]
    assert isinstance(t, pylre.Tensor)
    assert t.shape == (2, 3) and t.dtype == "float32" and t.device == "cpu"
    assert t.__dlpack_device__() == (1, 0)
    np.testing.assert_array_equal(memoryview(t), np.ones((2, 3)))
