"""pylre on CUDA engines, run on the GPU machine (scripts/gpu-pylre.sh): torch CUDA tensors in and
out without copies, runs on the caller's streams ordered by events (never host waits), the DLPack
stream handshake of pylre's own tensors, two threads on two streams, and the per-call cost of
lre(x) beside the C++ API. Needs torch with CUDA and onnx; runs under pytest or as a script.
Measurements are printed as lines starting with "pylre-gpu:"."""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

import pylre
from pylre import LatentRuntimeEngine as LRE

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.environ.get("LRE_TEST_MODELS") or os.path.join(REPO, "build-gpu", "models")
RESNET = os.path.join(MODELS, "resnet_tiny.onnx")
CLI = os.environ.get("LRE_CLI") or os.path.join(REPO, "build-gpu", "lre")
DEV = torch.device("cuda:0")
# A GPU kernel that keeps its stream busy for a while: whatever is enqueued after it runs late, so
# a reader that does not wait for it sees memory nobody has written yet.
SPIN_CYCLES = 300_000_000  # ~0.15-0.2 s at H100/H200 clocks
TMP = tempfile.mkdtemp(prefix="pylre-gpu-")


def report(text):
    print(f"pylre-gpu: {text}", flush=True)


def raises(kind, pattern, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except kind as e:
        assert re.search(pattern, str(e)), f"{kind.__name__} message {str(e)!r} does not match {pattern!r}"
        return
    raise AssertionError(f"{kind.__name__} not raised")


def input_shape(lre, batch=1):
    return tuple(batch if not isinstance(d, int) else d for d in lre.input_shapes[0])


def random_inputs(lre, n, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(input_shape(lre)).astype(np.float32) for _ in range(n)]


def assert_fp16_close(actual, expected):
    actual = actual.detach().cpu().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    scale = max(float(np.abs(expected).max()), 1e-3)
    np.testing.assert_allclose(actual, expected, rtol=1e-2, atol=1e-2 * scale)


_cpu = {}


def cpu_reference(path, x):
    if path not in _cpu:
        _cpu[path] = LRE(path, device="cpu")
    return np.array(_cpu[path](x))


def mlp_model(path, width, layers, seed=0):
    """(1, width) through `layers` MatMul+Relu: small latency-bound kernels, as at batch 1, that two
    streams can run side by side."""
    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        w = rng.normal(0, np.sqrt(2.0 / width), (width, width)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]))
        nodes.append(helper.make_node("Relu", [f"m{i}"], [f"r{i}"]))
        x = f"r{i}"
    nodes.append(helper.make_node("Identity", [x], ["y"]))
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, width])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, width])], inits)
    model = helper.make_model(graph, producer_name="pylre-gpu-tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save_model(model, path)
    return path


def relu_model(path, width=64):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, width])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, width])])
    model = helper.make_model(graph, producer_name="pylre-gpu-tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save_model(model, path)
    return path


class Foreign:
    """A device array that is not a torch tensor: only __dlpack__ and __dlpack_device__."""

    def __init__(self, t):
        self.t = t
        self.streams = []

    def __dlpack_device__(self):
        return self.t.__dlpack_device__()

    def __dlpack__(self, stream=None, **kwargs):
        self.streams.append(stream)
        return self.t.__dlpack__(stream=stream)


# ---- properties and arguments ---------------------------------------------------------------------


def test_default_device_and_properties():
    assert pylre._pylre.cuda_devices() >= 1
    lre = LRE(RESNET)
    assert (lre.device, lre.device_type, lre.model_precision) == ("cuda:0", "cuda", "float32")
    assert LRE(RESNET, precision="fp16").model_precision == "float16"
    lre = LRE(RESNET, device="cuda", precision="bf16")
    meta = lre.get_metadata()
    assert (lre.model_precision, meta["device"], meta["precision"]) == ("bfloat16", "cuda:0", "bfloat16")
    assert "device='cuda:0'" in repr(lre)
    assert LRE(RESNET, device=torch.device("cuda", 0)).device == "cuda:0"


def test_engine_cache_argument():
    cache = os.path.join(TMP, "cache")
    os.makedirs(cache, exist_ok=True)
    x = random_inputs(LRE(RESNET, device="cpu"), 1, 5)[0]
    for kwargs in ({"tensorrt_engine_cache": cache}, {"engine_cache": cache}):
        assert_fp16_close(LRE(RESNET, precision="fp16", **kwargs)(x), cpu_reference(RESNET, x))


def test_errors():
    lre = LRE(RESNET)
    good = torch.zeros(input_shape(lre), device=DEV)
    raises(ValueError, r"input 'image' expects dimension 1 to be 3", lre, torch.zeros(1, 4, 32, 32, device=DEV))
    raises(ValueError, r"expects float32, got int64", lre, torch.zeros(input_shape(lre), dtype=torch.int64, device=DEV))
    raises(ValueError, r"unknown input 'nope'", lre, {"nope": good})
    raises(ValueError, r"is on cuda:0, the engine runs on cpu", LRE(RESNET, device="cpu"), good)
    raises(RuntimeError, r"cuda:7 is not available", LRE, RESNET, device="cuda:7")
    raises(ValueError, r"cuda_stream is given but the engine runs on cpu", LRE, RESNET, cuda_stream=5, device="cpu")
    raises(FileNotFoundError, r"no such file", LRE, os.path.join(TMP, "missing.onnx"), device="cuda")
    # The engine still runs after each failure.
    assert lre(good).shape == (1, 10)


# ---- the seed example -----------------------------------------------------------------------------


def test_seed_example_two_streams_two_threads():
    s1, s2 = torch.cuda.Stream(), torch.cuda.Stream()
    lre1 = LRE(RESNET, cuda_stream=s1.cuda_stream, tensorrt_engine_cache=os.path.join(TMP, "cache"), precision="fp16")
    lre2 = LRE(RESNET, cuda_stream=s2.cuda_stream, precision="fp16")
    assert lre1._engine.stream_for(None) == s1.cuda_stream and lre2._engine.stream_for(None) == s2.cuda_stream
    xs = {1: random_inputs(lre1, 100, 1), 2: random_inputs(lre2, 100, 2)}
    outs = {1: [], 2: []}
    errors = []

    def worker(key, lre, stream):
        try:
            with torch.cuda.stream(stream):
                for x in xs[key]:
                    xd = torch.from_numpy(x).pin_memory().to(DEV, non_blocking=True)  # made on `stream`
                    outs[key].append(lre(xd))
        except Exception as e:  # surfaced in the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(1, lre1, s1)), threading.Thread(target=worker, args=(2, lre2, s2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    s1.synchronize()
    s2.synchronize()
    for key in (1, 2):
        assert len(outs[key]) == 100
        for x, out in zip(xs[key], outs[key]):
            assert isinstance(out, torch.Tensor) and out.is_cuda and out.device == DEV and out.dtype == torch.float32
            assert_fp16_close(out, cpu_reference(RESNET, x))
    # Every run wrote fresh memory: the 100 outputs held are 100 buffers.
    assert len({o.data_ptr() for o in outs[1]}) == 100


def test_outputs_dropped_at_once_stay_valid_for_their_readers():
    # Engine A's outputs are dropped as soon as a reduction on its caller's stream is enqueued, while
    # that stream runs late; engine B allocates its outputs from the same device pool meanwhile, on
    # a stream that runs at once. A's memory must not reach B before A's reductions have read it.
    sa, sb = torch.cuda.Stream(), torch.cuda.Stream()
    lre_a, lre_b = LRE(RESNET, precision="fp16"), LRE(RESNET, precision="fp16")
    xa, xb = random_inputs(lre_a, 40, 3), random_inputs(lre_b, 40, 13)
    da = [torch.from_numpy(x).to(DEV) for x in xa]
    db = [torch.from_numpy(x).to(DEV) for x in xb]
    torch.cuda.synchronize()
    sums, outs_b = [], []
    for i in range(len(xa)):
        with torch.cuda.stream(sa):
            if i % 10 == 0:
                torch.cuda._sleep(SPIN_CYCLES // 10)
            sums.append(lre_a(da[i]).sum(dim=1))
        with torch.cuda.stream(sb):
            outs_b.append(lre_b(db[i]))
    torch.cuda.synchronize()
    for x, got in zip(xa, sums):
        np.testing.assert_allclose(got.cpu().numpy(), cpu_reference(RESNET, x).sum(axis=1), rtol=2e-2, atol=5e-2)
    for x, out in zip(xb, outs_b):
        assert_fp16_close(out, cpu_reference(RESNET, x))


# ---- streams --------------------------------------------------------------------------------------


def warm(lre, x0, stream=None):
    """Plans, arenas and CUDA graphs of the context a call from `stream` uses are made in its first
    runs (which may wait on the host); the timed calls come after."""
    with torch.cuda.stream(stream if stream is not None else torch.cuda.current_stream()):
        for _ in range(3):
            lre(x0)
    torch.cuda.synchronize()


def late_input(x0):
    """x0 again, in fresh memory written only after a long spin on the current stream."""
    torch.cuda._sleep(SPIN_CYCLES)
    return x0 * 1.0


def test_inputs_made_on_another_stream_are_waited_for():
    s1, s3 = torch.cuda.Stream(), torch.cuda.Stream()
    lre = LRE(RESNET, cuda_stream=s1.cuda_stream)  # runs on s1
    x = random_inputs(lre, 1, 4)[0]
    x0 = torch.from_numpy(x).to(DEV)
    warm(lre, x0, s3)
    with torch.cuda.stream(s3):  # the caller works on s3: the input is made there, late
        xd = late_input(x0)
        start = time.perf_counter()
        out = lre(xd)
        call_s = time.perf_counter() - start
        doubled = out * 2  # on s3, after the run
    s3.synchronize()
    report(f"call with an input pending on another stream returned in {call_s * 1e3:.2f} ms (no host wait)")
    assert call_s < 0.05, "the call waited on the host for the producer stream"
    expected = cpu_reference(RESNET, x)
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(doubled.cpu().numpy(), 2 * expected, rtol=1e-4, atol=1e-4)


def test_current_stream_is_the_default():
    s1, s2 = torch.cuda.Stream(), torch.cuda.Stream()
    lre = LRE(RESNET)
    assert lre._engine.stream_for(s1.cuda_stream) == s1.cuda_stream
    x = random_inputs(lre, 1, 6)[0]
    x0 = torch.from_numpy(x).to(DEV)
    for s in (s1, s2):
        warm(lre, x0, s)
        with torch.cuda.stream(s):
            xd = late_input(x0)
            start = time.perf_counter()
            out = lre(xd)
            call_s = time.perf_counter() - start
            total = out.sum()
        s.synchronize()
        assert call_s < 0.05
        np.testing.assert_allclose(out.cpu().numpy(), cpu_reference(RESNET, x), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(total.item(), cpu_reference(RESNET, x).sum(), rtol=1e-4, atol=1e-3)


def test_torch_default_stream():
    # The legacy default stream is refused by the runtime: the engine runs on its own stream,
    # ordered after and before torch's default stream with events.
    lre = LRE(RESNET)
    assert torch.cuda.current_stream().cuda_stream == 0
    own = lre._engine.stream_for(0)
    assert own not in (0, 1, 2)
    x = random_inputs(lre, 1, 7)[0]
    x0 = torch.from_numpy(x).to(DEV)
    warm(lre, x0)
    xd = late_input(x0)
    start = time.perf_counter()
    out = lre(xd)
    call_s = time.perf_counter() - start
    after = out + 1  # on the default stream, after the run
    torch.cuda.synchronize()
    assert call_s < 0.05
    expected = cpu_reference(RESNET, x)
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(after.cpu().numpy(), expected + 1, rtol=1e-4, atol=1e-4)
    # A default-stream handle given explicitly means the same.
    lre0 = LRE(RESNET, cuda_stream=torch.cuda.current_stream().cuda_stream)
    assert lre0._engine.stream_for(None) not in (0, 1, 2)
    np.testing.assert_allclose(lre0(x0).cpu().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_dlpack_out_with_a_consumer_stream():
    s1, s2 = torch.cuda.Stream(), torch.cuda.Stream()
    lre = LRE(RESNET, cuda_stream=s1.cuda_stream)
    x = random_inputs(lre, 1, 8)[0]
    x0 = torch.from_numpy(x).to(DEV)
    torch.cuda.synchronize()
    with torch.cuda.stream(s1):
        torch.cuda._sleep(SPIN_CYCLES)  # the run on s1 happens late
        arg = Foreign(x0)
        out = lre(arg)  # a caller that is not torch gets pylre's own tensor
    assert isinstance(out, pylre.Tensor) and out.is_cuda and out.__dlpack_device__() == (2, 0)
    assert arg.streams == [s1.cuda_stream]  # the producer was asked to order its memory on the caller's stream
    with torch.cuda.stream(s2):
        y = torch.utils.dlpack.from_dlpack(out)  # passes s2 to __dlpack__: s2 waits for the run
        z = y * 1.0
    s2.synchronize()
    np.testing.assert_allclose(z.cpu().numpy(), cpu_reference(RESNET, x), rtol=1e-4, atol=1e-4)
    assert y.data_ptr() == torch.utils.dlpack.from_dlpack(out).data_ptr()  # shares the runtime's memory
    # No ordering asked (-1) and the legacy default stream (None) are both accepted.
    out.__dlpack__(stream=-1)
    out.__dlpack__()
    raises(BufferError, r"only exported in place", out.__dlpack__, copy=True)


def test_numpy_and_host_torch_callers_get_host_arrays():
    lre = LRE(RESNET, precision="fp16")
    x = random_inputs(lre, 1, 9)[0]
    out = lre(x)
    assert isinstance(out, np.ndarray)
    assert_fp16_close(out, cpu_reference(RESNET, x))
    host = lre(torch.from_numpy(x))
    assert isinstance(host, torch.Tensor) and not host.is_cuda
    lre.infer(torch.from_numpy(x).to(DEV))
    assert lre.get_output(0).is_cuda
    lre.warm_up(3)


def test_reduced_precision_inputs():
    lre = LRE(RESNET, precision="fp16")
    x = random_inputs(lre, 1, 10)[0]
    out = lre(torch.from_numpy(x).to(DEV).half())  # float16 for a float32 input of an fp16 engine
    assert out.dtype == torch.float32
    assert_fp16_close(out, cpu_reference(RESNET, x))
    # Non-contiguous device inputs are made contiguous on the caller's stream first.
    t = torch.from_numpy(x).to(DEV).permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)
    assert not t.is_contiguous()
    assert_fp16_close(lre(t), cpu_reference(RESNET, x))


# ---- timing ---------------------------------------------------------------------------------------


def timed_loop(lre, stream, x, n):
    with torch.cuda.stream(stream):
        for _ in range(n):
            lre(x)
            stream.synchronize()  # batch-1 serving: each request waits for its answer


def test_two_threads_on_two_streams_overlap():
    path = mlp_model(os.path.join(TMP, "mlp.onnx"), width=512, layers=32)
    sa, sb = torch.cuda.Stream(), torch.cuda.Stream()
    a = LRE(path, cuda_stream=sa.cuda_stream, precision="fp16")
    b = LRE(path, cuda_stream=sb.cuda_stream, precision="fp16")
    xa = torch.randn(1, 512, device=DEV)
    xb = torch.randn(1, 512, device=DEV)
    torch.cuda.synchronize()
    n = 200
    for lre, s, x in ((a, sa, xa), (b, sb, xb)):
        timed_loop(lre, s, x, 20)  # plans and CUDA graphs
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        timed_loop(a, sa, xa, n)
        alone_a = time.perf_counter() - t0
        t0 = time.perf_counter()
        timed_loop(b, sb, xb, n)
        alone_b = time.perf_counter() - t0
        threads = [threading.Thread(target=timed_loop, args=(a, sa, xa, n)),
                   threading.Thread(target=timed_loop, args=(b, sb, xb, n))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        both = time.perf_counter() - t0
        ratio = (alone_a + alone_b) / both
        if best is None or ratio > best[0]:
            best = (ratio, alone_a, alone_b, both)
    ratio, alone_a, alone_b, both = best
    report(f"two threads x {n} runs (MLP 32x512 fp16, batch 1): alone {alone_a * 1e3:.1f} + {alone_b * 1e3:.1f} ms, "
           f"together {both * 1e3:.1f} ms, throughput ratio {ratio:.2f}x (target >= 1.8x: "
           f"{'met' if ratio >= 1.8 else 'NOT met'})")
    assert ratio > 1.3, f"two streams barely overlap: {ratio:.2f}x"


def test_call_overhead_against_the_cpp_api():
    path = relu_model(os.path.join(TMP, "relu.onnx"))
    s = torch.cuda.Stream()
    lre = LRE(path, cuda_stream=s.cuda_stream)
    x = torch.randn(1, 64, device=DEV)
    torch.cuda.synchronize()
    iterations = 2000
    times = []
    with torch.cuda.stream(s):
        for _ in range(200):
            lre(x)
        s.synchronize()
        for _ in range(iterations):
            t0 = time.perf_counter()
            lre(x)
            s.synchronize()
            times.append(time.perf_counter() - t0)
    py_p50_us = float(np.percentile(times, 50)) * 1e6
    bench = subprocess.run([CLI, "bench", path, "--device", "cuda", "--iterations", str(iterations), "--warmup", "200"],
                           check=True, capture_output=True, text=True)
    match = re.search(r"p50 ([0-9.]+)", bench.stdout)
    assert match, bench.stdout
    cpp_p50_us = float(match.group(1)) * 1e3
    overhead = py_p50_us - cpp_p50_us
    report(f"per call (Relu 1x64, device in/out, enqueue + stream sync, p50 of {iterations}): lre(x) {py_p50_us:.1f} us, "
           f"C++ `lre bench` {cpp_p50_us:.1f} us, overhead {overhead:.1f} us (target < 30 us: "
           f"{'met' if overhead < 30 else 'NOT met'})")
    assert overhead < 150, f"lre(x) costs {overhead:.1f} us over the C++ API"


if __name__ == "__main__":
    # Without pytest: every test in file order, a line each, exit status 1 on any failure.
    failed = 0
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                print(f"PASSED {name}", flush=True)
            except Exception as e:  # reported, then the next test runs
                failed += 1
                print(f"FAILED {name}: {type(e).__name__}: {e}", flush=True)
    print(f"{failed} failed" if failed else "all passed")
    sys.exit(1 if failed else 0)
