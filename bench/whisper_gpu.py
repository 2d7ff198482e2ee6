#!/usr/bin/env python3
"""Whisper on the GPU beside transformers, on the same random weights and the same log-mel input.

For the tiny and large-v3 shapes: writes a random-weight checkpoint with transformers
(WhisperForConditionalGeneration(config).save_pretrained), adds tokenizer files from
scripts/make_tiny_whisper.py, and compares in fp32 and fp16:
  - the encoder, through the cross-attention keys of every decoder layer (k_proj(encoder output));
  - the decoder's logits at every step, teacher-forced on transformers' fp32 greedy tokens;
  - 100 free-running greedy tokens (raw argmax);
then times one 30-second window with 100 greedy tokens at batch 1: ours (lre_whisper_probe) versus
transformers eager (fp16, sdpa, KV cache), median of repeats.

  whisper_gpu.py BUILD_DIR OUT_MD [--shapes tiny,large-v3] [--steps 100] [--work DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import transformers
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SHAPES = {
    "tiny": dict(d_model=384, encoder_layers=4, decoder_layers=4, encoder_attention_heads=6,
                 decoder_attention_heads=6, encoder_ffn_dim=1536, decoder_ffn_dim=1536, num_mel_bins=80,
                 vocab_size=51865),
    "large-v3": dict(d_model=1280, encoder_layers=32, decoder_layers=32, encoder_attention_heads=20,
                     decoder_attention_heads=20, encoder_ffn_dim=5120, decoder_ffn_dim=5120, num_mel_bins=128,
                     vocab_size=51866),
}
PROMPT = [50258, 50259, 50360, 50364]  # <|startoftranscript|><|en|><|transcribe|><|0.00|>


def make_checkpoint(shape, folder):
    cfg = WhisperConfig(**SHAPES[shape], max_source_positions=1500, max_target_positions=448,
                        pad_token_id=50257, bos_token_id=50257, eos_token_id=50257, decoder_start_token_id=50258)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = WhisperForConditionalGeneration(cfg).eval()
    model.save_pretrained(folder, safe_serialization=True)
    # Tokenizer files of the real layout (special tokens at their real ids), from the project's script.
    with tempfile.TemporaryDirectory() as tok:
        args = [sys.executable, os.path.join(ROOT, "scripts", "make_tiny_whisper.py"), tok]
        if SHAPES[shape]["num_mel_bins"] == 128:
            args += ["--mels", "128"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        for name in os.listdir(tok):
            if not name.startswith("model") and name != "config.json":
                shutil.copy(os.path.join(tok, name), os.path.join(folder, name))
    return model


def log_mel(bins):
    """30 s of a sweep, two tones and noise, through transformers' own feature extractor."""
    sr = 16000
    t = np.arange(30 * sr) / sr
    rng = np.random.default_rng(0)
    audio = (0.3 * np.sin(2 * np.pi * (200 + 60 * t) * t) + 0.2 * np.sin(2 * np.pi * 440 * t) *
             (t % 3 < 1.5) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    fe = WhisperFeatureExtractor(feature_size=bins)
    return fe(audio, sampling_rate=sr, return_tensors="np").input_features[0].astype(np.float32)


@torch.no_grad()
def reference(model, mel, dtype, steps, teacher=None):
    m = model.to(dtype)
    x = torch.from_numpy(mel)[None].to("cuda", dtype)
    enc = m.model.encoder(x).last_hidden_state
    keys = torch.stack([layer.encoder_attn.k_proj(enc)[0] for layer in m.model.decoder.layers]).float().cpu().numpy()
    # Free-running greedy with the KV cache.
    ids = torch.tensor([PROMPT], device="cuda")
    out = m(encoder_outputs=(enc,), decoder_input_ids=ids, use_cache=True)
    past, tokens = out.past_key_values, []
    for s in range(steps):
        t = int(out.logits[0, -1].argmax())
        tokens.append(t)
        if s + 1 < steps:
            out = m(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([[t]], device="cuda"),
                    past_key_values=past, use_cache=True)
            past = out.past_key_values
    logits = None
    if teacher is not None:
        full = torch.tensor([PROMPT + list(teacher[:steps - 1])], device="cuda")
        lg = m(encoder_outputs=(enc,), decoder_input_ids=full).logits[0]
        logits = lg[len(PROMPT) - 1:].float().cpu().numpy()
    return keys, np.array(tokens), logits


@torch.no_grad()
def time_transformers(model, mel, steps, repeat):
    m = model.to(torch.float16)
    x = torch.from_numpy(mel)[None].to("cuda", torch.float16)
    times = []
    for r in range(repeat + 1):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        enc = m.model.encoder(x).last_hidden_state
        out = m(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([PROMPT], device="cuda"), use_cache=True)
        past = out.past_key_values
        for s in range(steps):
            t = out.logits[0, -1].argmax().view(1, 1)
            if s + 1 < steps:
                out = m(encoder_outputs=(enc,), decoder_input_ids=t, past_key_values=past, use_cache=True)
                past = out.past_key_values
        int(t)  # the last token on the host, as ours
        torch.cuda.synchronize()
        if r:
            times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def probe(build, folder, mel_path, out, precision, steps, teacher_path, repeat):
    os.makedirs(out, exist_ok=True)
    cmd = [os.path.join(build, "bench", "lre_whisper_probe"), folder, mel_path, out, "--device", "cuda",
           "--precision", precision, "--steps", str(steps), "--teacher", teacher_path, "--repeat", str(repeat)]
    subprocess.run(cmd, check=True)
    with open(os.path.join(out, "timing.json")) as f:
        timing = json.load(f)
    return (np.load(os.path.join(out, "cross_k.npy")), np.load(os.path.join(out, "greedy.npy")),
            np.load(os.path.join(out, "logits.npy")), timing)


def rel(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b)) / max(np.max(np.abs(b)), 1e-30))


def leading_equal(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("out_md")
    ap.add_argument("--shapes", default="tiny,large-v3")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", default=tempfile.mkdtemp(prefix="lre_whisper_"))
    a = ap.parse_args()
    lines = ["| shape | precision | cross K rel err | logits rel err (max over steps) | greedy = transformers (of %d) "
             "| transformers fp32 = fp16 | ours ms/window | transformers eager ms/window | speed-up | ours ms/step |"
             % a.steps, "|---|---|---|---|---|---|---|---|---|---|"]
    results = {}
    for shape in a.shapes.split(","):
        folder = os.path.join(a.work, shape)
        model = make_checkpoint(shape, folder)
        mel = log_mel(SHAPES[shape]["num_mel_bins"])
        mel_path = os.path.join(a.work, shape + "-mel.npy")
        np.save(mel_path, mel)
        keys32, greedy32, _ = reference(model, mel, torch.float32, a.steps)
        teacher_path = os.path.join(a.work, shape + "-teacher.npy")
        np.save(teacher_path, greedy32.astype(np.int64))
        refs = {"fp32": reference(model, mel, torch.float32, a.steps, greedy32),
                "fp16": reference(model, mel, torch.float16, a.steps, greedy32)}
        hf_agree = leading_equal(refs["fp32"][1], refs["fp16"][1])
        peer_ms = time_transformers(model, mel, a.steps, a.repeat)
        del model
        torch.cuda.empty_cache()
        for precision, (keys, tokens, logits) in refs.items():
            ours_k, ours_tokens, ours_logits, timing = probe(a.build, folder, mel_path,
                                                             os.path.join(a.work, shape + "-" + precision), precision,
                                                             a.steps, teacher_path, a.repeat)
            row = {"cross_k_rel": rel(ours_k, keys), "logits_rel": rel(ours_logits, logits),
                   "greedy_equal": leading_equal(ours_tokens, tokens), "hf_fp32_fp16_equal": hf_agree,
                   "ours_ms": timing["window_ms"], "step_ms": timing["step_ms"], "encode_ms": timing["encode_ms"],
                   "transformers_eager_fp16_ms": peer_ms}
            results[shape + "-" + precision] = row
            lines.append("| %s | %s | %.2e | %.2e | %d | %d | %.1f | %.1f | %.1fx | %.3f |" % (
                shape, precision, row["cross_k_rel"], row["logits_rel"], row["greedy_equal"], hf_agree,
                row["ours_ms"], peer_ms, peer_ms / row["ours_ms"], row["step_ms"]))
            print(lines[-1], flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    header = ["GPU: %s; torch %s; transformers %s" % (torch.cuda.get_device_name(), torch.__version__,
                                                     transformers.__version__), ""]
    with open(a.out_md, "w") as f:
        f.write("\n".join(header + lines) + "\n\n```json\n" + json.dumps(results, indent=2) + "\n```\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
