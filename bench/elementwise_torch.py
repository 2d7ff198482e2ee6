#!/usr/bin/env python3
"""The peer for bench/elementwise_bench.cc: the same cases in PyTorch (CUDA), timed the same way
(CUDA events, median of 50 after 5 warm-up runs). Prints `case dtype elements ms`."""
import torch


def time_ms(fn, reps=50):
    for _ in range(5):
        fn()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


n, channels = 1 << 26, 256
for dtype, name in ((torch.float32, "float32"), (torch.float16, "float16")):
    a = torch.rand(n, device="cuda", dtype=dtype) - 0.5
    b = torch.rand(n, device="cuda", dtype=dtype) - 0.5
    c = torch.rand(channels, 1, device="cuda", dtype=dtype)
    y = torch.empty_like(a)
    print(f"add_same_shape {name} {n} {time_ms(lambda: torch.add(a, b, out=y)):.4f}")
    a2, y2 = a.view(channels, -1), y.view(channels, -1)
    print(f"add_per_channel {name} {n} {time_ms(lambda: torch.add(a2, c, out=y2)):.4f}")
    print(f"sigmoid {name} {n} {time_ms(lambda: torch.sigmoid(a, out=y)):.4f}")
a = torch.rand(n, device="cuda", dtype=torch.float32)
h = torch.empty(n, device="cuda", dtype=torch.float16)
print(f"cast_f32_to_f16 float32 {n} {time_ms(lambda: h.copy_(a)):.4f}")
