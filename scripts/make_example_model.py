#!/usr/bin/env python3
"""Writes a ResNet-style CNN (ResNet-18 layout by default) with random weights as an ONNX model.

The model is built node by node with the ONNX protobuf helpers, so the runtime's example and
benchmark model needs no framework. The batch dimension is dynamic ("batch").

  make_example_model.py OUT.onnx [--width 64] [--blocks 2,2,2,2] [--image 224] [--classes 1000]
                                 [--seed 0] [--external-data]
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, prefix, array):
        n = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def conv_bn(self, x, cin, cout, kernel, stride, relu=True):
        fan_in = cin * kernel * kernel
        w = self.weight("conv_w", self.rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin, kernel, kernel)))
        y = self.name("conv")
        pad = kernel // 2
        self.nodes.append(helper.make_node("Conv", [x, w], [y], name=y, kernel_shape=[kernel, kernel],
                                           strides=[stride, stride], pads=[pad] * 4))
        scale = self.weight("bn_scale", self.rng.uniform(0.5, 1.5, cout))
        bias = self.weight("bn_bias", self.rng.uniform(-0.1, 0.1, cout))
        mean = self.weight("bn_mean", self.rng.uniform(-0.1, 0.1, cout))
        var = self.weight("bn_var", self.rng.uniform(0.5, 1.5, cout))
        z = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [y, scale, bias, mean, var], [z], name=z, epsilon=1e-5))
        if not relu:
            return z
        r = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [z], [r], name=r))
        return r

    def basic_block(self, x, cin, cout, stride):
        y = self.conv_bn(x, cin, cout, 3, stride)
        y = self.conv_bn(y, cout, cout, 3, 1, relu=False)
        shortcut = x if stride == 1 and cin == cout else self.conv_bn(x, cin, cout, 1, stride, relu=False)
        s = self.name("add")
        self.nodes.append(helper.make_node("Add", [y, shortcut], [s], name=s))
        r = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [s], [r], name=r))
        return r


def build(width, blocks, image, classes, seed):
    b = Builder(np.random.default_rng(seed))
    x = b.conv_bn("image", 3, width, 7, 2)
    p = b.name("maxpool")
    b.nodes.append(helper.make_node("MaxPool", [x], [p], name=p, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = p, width
    for stage, n in enumerate(blocks):
        cout = width * (2 ** stage)
        for i in range(n):
            x = b.basic_block(x, cin, cout, 2 if stage > 0 and i == 0 else 1)
            cin = cout
    g = b.name("gap")
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], [g], name=g))
    f = b.name("flatten")
    b.nodes.append(helper.make_node("Flatten", [g], [f], name=f, axis=1))
    fc_w = b.weight("fc_w", b.rng.normal(0, np.sqrt(1.0 / cin), (classes, cin)))
    fc_b = b.weight("fc_b", b.rng.uniform(-0.1, 0.1, classes))
    b.nodes.append(helper.make_node("Gemm", [f, fc_w, fc_b], ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        b.nodes, f"resnet_w{width}_{'-'.join(map(str, blocks))}",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, image, image])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        b.initializers)
    model = helper.make_model(graph, producer_name="lre-example", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--blocks", default="2,2,2,2")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--external-data", action="store_true", help="store weights in OUT.data beside the model")
    args = ap.parse_args()
    model = build(args.width, [int(v) for v in args.blocks.split(",")], args.image, args.classes, args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.external_data:
        onnx.save_model(model, args.out, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(args.out) + ".data", size_threshold=0)
    else:
        onnx.save_model(model, args.out)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"wrote {args.out}: {len(model.graph.node)} nodes, {params} parameters", file=sys.stderr)


if __name__ == "__main__":
    main()
