"""Fixtures for the pylre tests: the models directory of the CTest fixture (or a fresh one when run
by hand) and a writer of small one-node ONNX models built with the onnx package."""
import os
import subprocess
import sys

import pytest
from onnx import helper

from model_files import write_model

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """LRE_TEST_MODELS from CTest; run by hand, the project's generator writes them afresh."""
    d = os.environ.get("LRE_TEST_MODELS")
    if d and os.path.exists(os.path.join(d, "resnet_tiny.onnx")):
        return d
    d = str(tmp_path_factory.mktemp("models"))
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_test_models.py"), d], check=True)
    return d


@pytest.fixture(scope="session")
def resnet_path(models_dir):
    return os.path.join(models_dir, "resnet_tiny.onnx")


@pytest.fixture
def model_writer(tmp_path):
    """Writes one-node models into the test's temporary directory: one_node(op, inputs, outputs, **attrs)."""
    count = [0]

    def one_node(op, inputs, outputs, **attrs):
        count[0] += 1
        node = helper.make_node(op, [i[0] for i in inputs], [o[0] for o in outputs], **attrs)
        return write_model(tmp_path / f"{op.lower()}_{count[0]}.onnx", [node], inputs, outputs)

    return one_node
