#!/usr/bin/env python3
"""Model benchmarks on the GPU machine, LRE beside PyTorch in one run.

For each model (random-initialised torchvision ResNet-50, MobileNetV3-Large, EfficientNet-B0,
ViT-B/16, and a YOLO-style 640x640 detector defined here): export to ONNX (opset 17), check LRE's
fp16 output against PyTorch's fp32 output, then time at each batch size
  - PyTorch eager, fp16, channels-last;
  - PyTorch with a CUDA graph, fp16, channels-last (its best configuration here);
  - LRE fp16 (`lre bench`: device inputs and outputs, CUDA graph replay).
Then concurrency scaling at batch 1: N contexts (LRE) or N CUDA graphs (PyTorch) on N streams from
N threads. Each figure comes with the physical floor: FLOPs over the measured fp16 matrix rate,
weight bytes over the measured copy bandwidth.

Usage: bench/models.py LRE_BINARY OUT.md [--models resnet50,...] [--batches 1,8,64]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision


def conv_bn_act(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class C2f(nn.Module):
    """A YOLOv8-style cross-stage block: split, a chain of bottlenecks, concatenate everything."""

    def __init__(self, cin, cout, n):
        super().__init__()
        self.hidden = cout // 2
        self.stem = conv_bn_act(cin, 2 * self.hidden, 1)
        self.blocks = nn.ModuleList(
            nn.Sequential(conv_bn_act(self.hidden, self.hidden), conv_bn_act(self.hidden, self.hidden)) for _ in range(n))
        self.out = conv_bn_act((2 + n) * self.hidden, cout, 1)

    def forward(self, x):
        parts = list(self.stem(x).split(self.hidden, 1))
        for b in self.blocks:
            parts.append(parts[-1] + b(parts[-1]))
        return self.out(torch.cat(parts, 1))


class Sppf(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1 = conv_bn_act(c, c // 2, 1)
        self.pool = nn.MaxPool2d(5, 1, 2)
        self.cv2 = conv_bn_act(c * 2, c, 1)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.pool(x)
        y2 = self.pool(y1)
        return self.cv2(torch.cat([x, y1, y2, self.pool(y2)], 1))


class YoloStyle(nn.Module):
    """Backbone (strided convs + C2f), neck (SPPF, upsampling FPN/PAN) and a decoupled head over
    three scales, at YOLOv8s-like widths; no NMS. Output (batch, 4 + classes, anchors)."""

    def __init__(self, classes=80, w=(32, 64, 128, 256, 512)):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_act(3, w[0], 3, 2), conv_bn_act(w[0], w[1], 3, 2), C2f(w[1], w[1], 1))
        self.p3 = nn.Sequential(conv_bn_act(w[1], w[2], 3, 2), C2f(w[2], w[2], 2))
        self.p4 = nn.Sequential(conv_bn_act(w[2], w[3], 3, 2), C2f(w[3], w[3], 2))
        self.p5 = nn.Sequential(conv_bn_act(w[3], w[4], 3, 2), C2f(w[4], w[4], 1), Sppf(w[4]))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4 = C2f(w[4] + w[3], w[3], 1)
        self.td3 = C2f(w[3] + w[2], w[2], 1)
        self.down3 = conv_bn_act(w[2], w[2], 3, 2)
        self.bu4 = C2f(w[2] + w[3], w[3], 1)
        self.down4 = conv_bn_act(w[3], w[3], 3, 2)
        self.bu5 = C2f(w[3] + w[4], w[4], 1)
        self.heads = nn.ModuleList(
            nn.Conv2d(c, 4 + classes, 1) for c in (w[2], w[3], w[4]))

    def forward(self, x):
        x = self.stem(x)
        p3 = self.p3(x)
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        t4 = self.td4(torch.cat([self.up(p5), p4], 1))
        t3 = self.td3(torch.cat([self.up(t4), p3], 1))
        b4 = self.bu4(torch.cat([self.down3(t3), t4], 1))
        b5 = self.bu5(torch.cat([self.down4(b4), p5], 1))
        outs = [h(f).flatten(2) for h, f in zip(self.heads, (t3, b4, b5))]
        return torch.cat(outs, 2)


MODELS = {
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), 224),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(weights=None), 224),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(weights=None), 224),
    "vit_b_16": (lambda: torchvision.models.vit_b_16(weights=None), 224),
    "yolo_style": (lambda: YoloStyle(), 640),
}


def export(model, image, path):
    x = torch.randn(1, 3, image, image)
    kwargs = dict(input_names=["images"], output_names=["out"], opset_version=17,
                  dynamic_axes={"images": {0: "batch"}, "out": {0: "batch"}})
    try:
        torch.onnx.export(model, (x,), path, dynamo=False, **kwargs)
    except TypeError:
        torch.onnx.export(model, (x,), path, **kwargs)


def cuda_time(fn, iters, warmup=5):
    """Per-call latencies in ms (each call synchronised), and throughput in calls/s."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    lat = []
    begin = time.perf_counter()
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        lat.append((time.perf_counter() - t0) * 1e3)
    total = time.perf_counter() - begin
    lat.sort()
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], iters / total


def graphed(model, x):
    """A CUDA graph of model(x) on its own stream, replayed by the returned function."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            model(x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        model(x)
    return g


def lre_bench(lre, path, batch, iters, contexts=1):
    cmd = [lre, "bench", path, "--device", "cuda", "--precision", "fp16", "--batch", str(batch), "--iterations",
           str(iters), "--warmup", "5", "--contexts", str(contexts)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    p50 = float(re.search(r"p50 ([0-9.]+)", r.stdout).group(1))
    p99 = float(re.search(r"p99 ([0-9.]+)", r.stdout).group(1))
    tput = float(re.search(r"([0-9.]+) samples/s", r.stdout).group(1))
    return p50, p99, tput


def lre_output(lre, path, x, workdir):
    np.save(os.path.join(workdir, "x.npy"), x)
    r = subprocess.run([lre, "run", path, "--device", "cuda", "--precision", "fp16", "-i",
                        os.path.join(workdir, "x.npy"), "-o", workdir], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return np.load(os.path.join(workdir, "out.npy"))


def peak_rates():
    """Measured fp16 matrix rate (FLOP/s) and device copy bandwidth (bytes/s, read + write)."""
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    _, _, calls = cuda_time(lambda: a @ a, 20)
    flops = calls * 2 * 8192 ** 3
    src = torch.empty(1 << 28, device="cuda", dtype=torch.uint8)
    dst = torch.empty_like(src)
    _, _, copies = cuda_time(lambda: dst.copy_(src), 50)
    return flops, copies * 2 * src.numel()


def model_flops(model, x):
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def threads_throughput(fns, seconds=2.0):
    """Aggregate calls/s of fns run side by side, one thread each, each synchronising its stream."""
    counts = [0] * len(fns)
    stop = time.perf_counter() + seconds

    def loop(i):
        while time.perf_counter() < stop:
            fns[i]()
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(fns))]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - begin)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lre")
    ap.add_argument("out")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--streams", default="1,2,4,8")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    flops_peak, bandwidth = peak_rates()
    lines = [f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}",
             f"Measured: fp16 matrix rate {flops_peak / 1e12:.0f} TFLOP/s, copy bandwidth {bandwidth / 1e9:.0f} GB/s",
             "", "| model | batch | max rel err vs fp32 PyTorch: LRE fp16 (PyTorch fp16) | PyTorch eager p50 ms | PyTorch graph p50 ms | LRE p50 ms | LRE p99 ms |"
             " PyTorch graph img/s | LRE img/s | LRE / PyTorch graph | floor ms (FLOPs, weights) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    scaling = ["", "| model | streams | PyTorch graphs img/s | LRE contexts img/s | LRE / PyTorch | LRE vs 1 context |",
               "|---|---|---|---|---|---|"]
    work = tempfile.mkdtemp()
    for name in args.models.split(","):
        try:
            bench_model(name, args, lines, scaling, work, flops_peak, bandwidth)
        except Exception as e:  # one model's failure is reported, the others still run
            lines.append(f"| {name} | - | failed: {str(e).splitlines()[-1][:200]} |")
            print(lines[-1], flush=True)
        torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        f.write("\n".join(lines + scaling) + "\n")
    print("\n".join(lines + scaling))


def bench_model(name, args, lines, scaling, work, flops_peak, bandwidth):
    """Checks one model against PyTorch, times it at each batch size, and for the CNNs measures
    concurrency scaling; appends table rows."""
    make, image = MODELS[name]
    model = make().eval()
    # torchvision zero-initialises ViT's head and draws the CNN classifiers with std 0.01, which
    # leaves outputs near 1e-10: below float16's range, so no fp16 engine could be checked on
    # them. Linear layers get std 1/sqrt(fan_in) instead (outputs of order one); timing is
    # unaffected.
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=module.in_features ** -0.5)
            nn.init.zeros_(module.bias)
    path = os.path.join(work, name + ".onnx")
    export(model, image, path)
    x1 = torch.randn(2, 3, image, image)
    with torch.no_grad():
        want = model.cuda()(x1.cuda()).float().cpu().numpy()
    got = lre_output(args.lre, path, x1.numpy(), work)
    check = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-12))
    half = model.cuda().half().to(memory_format=torch.channels_last)
    with torch.no_grad():
        peer = half(x1.cuda().half().to(memory_format=torch.channels_last)).float().cpu().numpy()
    peer_check = float(np.abs(peer - want).max() / max(np.abs(want).max(), 1e-12))
    weight_bytes = sum(p.numel() * p.element_size() for p in half.parameters())
    for batch in [int(b) for b in args.batches.split(",")]:
        if name == "yolo_style" and batch > 8:
            continue  # 64 images of 640x640 is past what the others' batch 64 measures
        x = torch.randn(batch, 3, image, image, device="cuda", dtype=torch.float16).to(
            memory_format=torch.channels_last)
        iters = 100 if batch < 64 else 30
        with torch.no_grad():
            eager = cuda_time(lambda: half(x), iters)
            g = graphed(half, x)
            graph = cuda_time(g.replay, iters)
            flops = model_flops(half, x)
        lre = lre_bench(args.lre, path, batch, iters)
        floor = max(flops / flops_peak, weight_bytes / bandwidth) * 1e3
        lines.append(f"| {name} | {batch} | {check:.1e} ({peer_check:.1e}) | {eager[0]:.3f} | {graph[0]:.3f} | {lre[0]:.3f} | {lre[1]:.3f} | "
                     f"{batch * graph[2]:.0f} | {lre[2]:.0f} | {lre[2] / (batch * graph[2]):.2f}x | {floor:.3f} |")
        print(lines[-1], flush=True)
        del g
    if name in ("resnet50", "mobilenet_v3_large"):
        x = torch.randn(1, 3, image, image, device="cuda", dtype=torch.float16).to(memory_format=torch.channels_last)
        base = None
        for n in [int(s) for s in args.streams.split(",")]:
            with torch.no_grad():
                graphs = [graphed(half, x.clone()) for _ in range(n)]
                streams = [torch.cuda.Stream() for _ in range(n)]
                torch.cuda.synchronize()

                def replay_on(g, s):
                    with torch.cuda.stream(s):
                        g.replay()
                    s.synchronize()

                tput = threads_throughput([lambda g=g, s=s: replay_on(g, s) for g, s in zip(graphs, streams)])
            lre = lre_bench(args.lre, path, 1, 300, contexts=n)[2]
            base = base or lre
            scaling.append(f"| {name} | {n} | {tput:.0f} | {lre:.0f} | {lre / tput:.2f}x | {lre / base:.2f}x |")
            print(scaling[-1], flush=True)
            del graphs
    del model, half


if __name__ == "__main__":
    sys.exit(main())
