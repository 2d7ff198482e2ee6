"""pylre.WhisperModel on a CUDA device, against the same checkpoint on the CPU: an fp32 transcript
(beam search over long audio) equal to the CPU's, fp16 and bf16 runs that give well-formed segments,
and two Python threads transcribing at once on one GPU model with the results of one thread."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from pylre import WhisperModel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("whisper") / "tiny")
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_tiny_whisper.py"), out, "--seed", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def noise(seconds, seed):
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * 0.1).astype(np.float32)


def tokens(segments):
    return [list(s.tokens) for s in segments]


def test_fp32_transcript_equals_the_cpu(tiny_dir):
    audio = noise(45, 1)
    options = dict(language="en", beam_size=3, temperature=0.0)
    cpu_segments, cpu_info = WhisperModel(tiny_dir, device="cpu", threads=4).transcribe(audio, **options)
    gpu = WhisperModel(tiny_dir, device="cuda", precision="fp32")
    assert gpu.device.startswith("cuda")
    gpu_segments, gpu_info = gpu.transcribe(audio, **options)
    assert len(cpu_segments) > 0
    assert tokens(gpu_segments) == tokens(cpu_segments)
    assert [s.text for s in gpu_segments] == [s.text for s in cpu_segments]
    assert gpu_info.duration == pytest.approx(cpu_info.duration)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_half_precisions_give_well_formed_segments(tiny_dir, precision):
    model = WhisperModel(tiny_dir, device="cuda", precision=precision)
    segments, info = model.transcribe(noise(20, 2), language="en", beam_size=1, temperature=0.0)
    assert info.language == "en"
    for s in segments:
        assert 0.0 <= s.start <= s.end <= info.duration + 30.0
        assert np.isfinite(s.avg_logprob) and 0.0 <= s.no_speech_prob <= 1.0


def test_two_threads_share_one_gpu_model(tiny_dir):
    model = WhisperModel(tiny_dir, device="cuda", precision="fp16")
    clips = [noise(12, 3), noise(12, 4)]
    alone = [tokens(model.transcribe(c, language="en", beam_size=1, temperature=0.0)[0]) for c in clips]
    together = [None, None]

    def run(i):
        together[i] = tokens(model.transcribe(clips[i], language="en", beam_size=1, temperature=0.0)[0])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone
