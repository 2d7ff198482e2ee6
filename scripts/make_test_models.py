#!/usr/bin/env python3
"""Writes the models the unit tests read into DIR: a small ResNet-style network, once with inline
weights and once with its weights in an external data file."""
import os
import subprocess
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_example_model.py")
small = ["--width", "8", "--blocks", "1,1,1", "--image", "32", "--classes", "10", "--seed", "1"]
subprocess.run([sys.executable, script, os.path.join(out, "resnet_tiny.onnx")] + small, check=True)
subprocess.run([sys.executable, script, os.path.join(out, "resnet_tiny_external.onnx"), "--external-data"] + small, check=True)
