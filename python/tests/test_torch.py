"""torch tensors in, torch tensors out, zero-copy both ways (skipped where torch is not installed).
torch must not be imported by pylre for numpy callers."""
import subprocess
import sys

import numpy as np
import pytest

import numpy_reference
from pylre import LatentRuntimeEngine as LRE


def test_numpy_callers_never_import_torch(resnet_path):
    code = ("import sys, numpy as np, pylre; lre = pylre.LatentRuntimeEngine(sys.argv[1]); "
            "lre(np.zeros((1, 3, 32, 32), np.float32)); lre.get_outputs(); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, resnet_path], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


torch = pytest.importorskip("torch")


def test_torch_in_torch_out(resnet_path):
    gen = torch.Generator().manual_seed(0)
    image = torch.randn(2, 3, 32, 32, generator=gen)
    lre = LRE(resnet_path)
    logits = lre(image)
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 10) and logits.dtype == torch.float32
    expected = numpy_reference.run(resnet_path, {"image": image.numpy()})[0]
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-4, atol=1e-4)
    lre.infer({"image": image})
    assert all(isinstance(t, torch.Tensor) for t in lre.get_outputs())


def test_torch_outputs_share_runtime_memory(model_writer):
    path = model_writer("Identity", [("x", "float32", [8, 8])], [("y", "float32", [8, 8])])
    lre = LRE(path)
    lre.infer(torch.ones(8, 8))
    assert lre.get_output(0).data_ptr() == lre.get_output(0).data_ptr()


def test_torch_special_inputs(model_writer):
    path = model_writer("Add", [("a", "float32", [4, 4]), ("b", "float32", [4, 4])], [("c", "float32", [4, 4])])
    lre = LRE(path)
    a = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    b = torch.ones(4, 4, requires_grad=True)
    out = lre(a.t(), b)  # transposed (copied, not misread) and requiring grad (detached)
    torch.testing.assert_close(out, a.t() + 1)


def test_torch_dtypes(model_writer):
    for dtype, name in [(torch.int64, "int64"), (torch.float64, "float64"), (torch.int8, "int8")]:
        path = model_writer("Identity", [("x", name, [5])], [("y", name, [5])])
        x = torch.arange(5).to(dtype)
        y = LRE(path)(x)
        assert y.dtype == dtype
        torch.testing.assert_close(y, x)
