#!/usr/bin/env python3
"""Where a CUDA Whisper window's GPU time goes: transcribes 30 s of noise with pylre.WhisperModel
on a random checkpoint of the large-v3 shape (scripts/make_tiny_whisper.py) under torch.profiler,
whose CUPTI tracing sees every kernel of the process (graph replays included), and prints the
kernels by total time. Run through scripts/gpu-pylre.sh, which builds the module:
  scripts/gpu-pylre.sh build-gpu bench/whisper_profile.py [fp16|bf16|fp32]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

from pylre import WhisperModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
precision = sys.argv[1] if len(sys.argv) > 1 else "fp16"
folder = os.path.join(tempfile.mkdtemp(prefix="lre_profile_"), "large-v3")
subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_tiny_whisper.py"), folder, "--mels", "128",
                "--d-model", "1280", "--layers", "32", "--heads", "20", "--ffn", "5120", "--dtype", "float16"],
               check=True, stdout=subprocess.DEVNULL)
model = WhisperModel(folder, device="cuda", precision=precision)
audio = (np.random.default_rng(0).standard_normal(30 * 16000) * 0.1).astype(np.float32)
options = dict(language="en", beam_size=1, temperature=0.0, without_timestamps=True)
model.transcribe(audio, **options)  # warm-up: kernel loading, graph capture
with profile(activities=[ProfilerActivity.CUDA]) as prof:
    segments, _ = model.transcribe(audio, **options)
steps = sum(len(s.tokens) for s in segments) + 1
events = [e for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA]
total = sum(e.self_device_time_total for e in events)
print("pylre-gpu: profile %s: %d decoded tokens, %.1f ms of kernels, %d kernel launches" %
      (precision, steps, total / 1e3, sum(e.count for e in events)))
print("share   total_ms  calls  us/call  kernel")
for e in sorted(events, key=lambda e: -e.self_device_time_total)[:25]:
    print("%5.1f%% %9.2f %6d %8.1f  %s" % (100 * e.self_device_time_total / total, e.self_device_time_total / 1e3,
                                         e.count, e.self_device_time_total / e.count, e.key[:100]))
