"""pylre.WhisperModel on tiny random-weight checkpoints (scripts/make_tiny_whisper.py): the result's
structure and types, each audio form and transcribe argument, agreement with `lre transcribe`,
determinism, one model shared by Python threads, and the errors. The text of a random model is
gibberish; what is checked is what the runtime must do with it."""
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import pytest

import pylre
from pylre import Segment, TranscriptionInfo, WhisperModel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EOT = 50257  # <|endoftext|> of multilingual vocabularies
TIMESTAMP_BEGIN = 50364  # <|0.00|>, as real Whisper vocabularies (and the script's) place it
SPACE = 220  # " ", the blank that suppress_blank keeps from opening a transcript
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# Greedy, no fallback: the quick settings for tests about something else.
QUICK = dict(beam_size=1, best_of=1, temperature=0.0)
needs_audio_files = pytest.mark.skipif(not pylre._pylre.can_decode_audio_files(),
                                       reason="the core is built without FFmpeg (LRE_FFMPEG=OFF)")


def checkpoint(tmp_path_factory, name, *args):
    """The CTest fixture's checkpoint (LRE_TEST_MODELS/whisper/NAME, from the script's --test-set);
    run by hand, the same one written afresh."""
    d = os.environ.get("LRE_TEST_MODELS")
    if d and os.path.exists(os.path.join(d, "whisper", name, "config.json")):
        return os.path.join(d, "whisper", name)
    out = str(tmp_path_factory.mktemp("whisper") / name)
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_tiny_whisper.py"), out, "--seed", "1", *args],
                   check=True, stdout=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return checkpoint(tmp_path_factory, "tiny")


@pytest.fixture(scope="session")
def english_dir(tmp_path_factory):
    return checkpoint(tmp_path_factory, "tiny-en", "--english-only", "--tokenizer", "old")


@pytest.fixture(scope="session")
def model(tiny_dir):
    return WhisperModel(tiny_dir, threads=2)


def noise(seconds, seed, scale=0.1):
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * scale).astype(np.float32)


def voiced(seconds, seed):
    """Speech-like sound: a 120-180 Hz harmonic voice whose pitch and loudness move by syllable."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    pitch = 150 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / 16000
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None)
    return (0.2 * voice * syllables + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def write_wav(path, samples):
    """16-bit mono 16 kHz WAV; returns the float32 samples the file holds."""
    pcm = np.clip(np.round(samples * 32768), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768


def as_tuples(segments):
    return [tuple(s) for s in segments]


def test_result_structure_and_types(model):
    audio = noise(3.0, 1)
    segments, info = model.transcribe(audio)  # every default: beam 5, best of 5, fallback
    assert isinstance(segments, list) and segments
    assert isinstance(info, TranscriptionInfo)
    assert info.duration == pytest.approx(3.0)
    language, probability, _ = model.detect_language(audio)
    assert (info.language, info.language_probability) == (language, pytest.approx(probability))
    for i, s in enumerate(segments):
        assert isinstance(s, Segment)
        assert s.id == i and s.seek == 0  # 3 s fit one window
        for field in ("start", "end", "avg_logprob", "compression_ratio", "no_speech_prob", "temperature"):
            assert type(getattr(s, field)) is float, field
        assert isinstance(s.text, str) and s.text.strip()
        assert isinstance(s.tokens, list) and all(type(t) is int for t in s.tokens)
        assert 0.0 <= s.start < s.end <= info.duration + 1e-9
        assert 0.0 <= s.no_speech_prob <= 1.0 and s.avg_logprob <= 0.0 and s.compression_ratio > 0.0
        assert s.temperature in DEFAULT_TEMPERATURES
        # A segment opens at its first timestamp token, 20 ms a step from its window's start.
        assert s.tokens[0] >= TIMESTAMP_BEGIN
        assert s.start == pytest.approx(s.seek * 0.01 + (s.tokens[0] - TIMESTAMP_BEGIN) * 0.02)
    assert segments[0].tokens[0] <= TIMESTAMP_BEGIN + 50  # max_initial_timestamp: 1 s
    assert segments[0]._asdict()["text"] == segments[0].text


@needs_audio_files
def test_audio_forms_agree(model, tmp_path):
    """A path (str or path-like), a binary file, its bytes, and the samples it holds as an array
    (contiguous, strided, or through __array__) transcribe alike."""
    samples = write_wav(tmp_path / "voice.wav", voiced(4.0, 2))
    expected, info = model.transcribe(samples, language="en", **QUICK)
    assert expected and info.duration == pytest.approx(4.0)

    class ArrayLike:
        def __array__(self, dtype=None):
            return samples

    strided = np.zeros(samples.size * 2, np.float32)
    strided[::2] = samples
    path = tmp_path / "voice.wav"
    with open(path, "rb") as f:
        from_file = model.transcribe(f, language="en", **QUICK)
    for audio in (str(path), path, path.read_bytes(), strided[::2], ArrayLike()):
        assert as_tuples(model.transcribe(audio, language="en", **QUICK)[0]) == as_tuples(expected), type(audio)
    assert as_tuples(from_file[0]) == as_tuples(expected)


@needs_audio_files
@pytest.mark.skipif(not os.environ.get("LRE_CLI"), reason="LRE_CLI (the lre binary) is set by CTest")
@pytest.mark.parametrize("cli_args,kwargs", [
    (["--beam-size", "3", "--patience", "1.5", "--best-of", "3", "--initial-prompt", "hello there"],
     dict(beam_size=3, patience=1.5, best_of=3, initial_prompt="hello there")),
    (["--beam-size", "1", "--temperature", "0.4", "--best-of", "2", "--task", "translate", "--no-timestamps"],
     dict(beam_size=1, best_of=2, temperature=(0.4, 0.6, 0.8, 1.0), task="translate", without_timestamps=True)),
])
def test_matches_lre_transcribe(model, tiny_dir, tmp_path, cli_args, kwargs):
    """The command line and the module run the same C++ transcription: same segments, same text."""
    write_wav(tmp_path / "speech.wav", np.concatenate([voiced(20.0, 3), noise(15.0, 4)]))
    subprocess.run([os.environ["LRE_CLI"], "transcribe", str(tmp_path / "speech.wav"), "--model", tiny_dir,
                    "--language", "de", "--output-format", "json", "--output-dir", str(tmp_path), "--threads", "2",
                    *cli_args], check=True, capture_output=True)
    with open(tmp_path / "speech.json", encoding="utf-8") as f:
        cli = json.load(f)
    segments, info = model.transcribe(str(tmp_path / "speech.wav"), language="de", **kwargs)
    assert segments, "nothing transcribed: the comparison would be empty"
    assert (info.language, info.duration) == (cli["language"], cli["duration"])
    assert "".join(s.text for s in segments) == cli["text"]
    assert len(segments) == len(cli["segments"])
    for s, c in zip(segments, cli["segments"]):
        assert (s.id, s.seek, s.text, s.tokens) == (c["id"], c["seek"], c["text"], c["tokens"])
        assert (s.start, s.end, s.avg_logprob) == pytest.approx((c["start"], c["end"], c["avg_logprob"]))
        assert s.temperature == pytest.approx(c["temperature"])


def test_deterministic(model):
    audio = voiced(5.0, 5)
    first = model.transcribe(audio, beam_size=2, temperature=0.0)
    assert as_tuples(model.transcribe(audio, beam_size=2, temperature=0.0)[0]) == as_tuples(first[0])
    assert model.transcribe(audio, beam_size=2, temperature=0.0)[1] == first[1]
    # Sampling is seeded too: the fallback temperatures give the same draws every time.
    sampled = model.transcribe(audio, best_of=2, temperature=(0.6, 1.0))
    assert as_tuples(model.transcribe(audio, best_of=2, temperature=(0.6, 1.0))[0]) == as_tuples(sampled[0])


def test_language_and_task(model):
    audio = noise(3.0, 6)
    _, info = model.transcribe(audio, language="de", **QUICK)
    assert (info.language, info.language_probability) == ("de", 1.0)
    assert model.transcribe(audio, language="German", **QUICK)[1].language == "de"
    german = model.transcribe(audio, language="de", **QUICK)[0]
    translated = model.transcribe(audio, language="de", task="translate", **QUICK)[0]
    assert as_tuples(translated) != as_tuples(german)  # the task token starts a different sequence


def test_temperature_and_thresholds(model):
    audio = noise(3.0, 7)
    off = dict(compression_ratio_threshold=None, log_prob_threshold=None, no_speech_threshold=None)
    # No check can fail: the first temperature's decode is kept.
    assert {s.temperature for s in model.transcribe(audio, **off)[0]} == {0.0}
    assert {s.temperature for s in model.transcribe(audio, temperature=0.5, best_of=2, **off)[0]} == {0.5}
    # A log-probability threshold of 0 fails every decode: each window falls back to the last temperature.
    failing = model.transcribe(audio, temperature=(0.0, 0.3, 0.7), best_of=2, compression_ratio_threshold=None,
                               log_prob_threshold=0.0, no_speech_threshold=None)[0]
    assert failing and {s.temperature for s in failing} == {0.7}
    # ... and with any no-speech probability counting as silence, every window is skipped.
    silent = model.transcribe(audio, temperature=0.0, compression_ratio_threshold=None, log_prob_threshold=0.0,
                              no_speech_threshold=1e-12)[0]
    assert silent == []


def test_best_of_beam_size_patience_and_length_penalty(model):
    audio = noise(4.0, 8)
    one = model.transcribe(audio, temperature=1.0, best_of=1, log_prob_threshold=None)[0]
    four = model.transcribe(audio, temperature=1.0, best_of=4, log_prob_threshold=None)[0]
    assert as_tuples(one) != as_tuples(four)  # more samples, another one kept
    for kwargs in (dict(beam_size=3), dict(beam_size=3, patience=2.0), dict(beam_size=2, patience=0.5),
                   dict(beam_size=3, length_penalty=1.0), dict(beam_size=3, length_penalty=0.0)):
        segments, _ = model.transcribe(audio, temperature=0.0, log_prob_threshold=None, **kwargs)
        assert segments and all(s.temperature == 0.0 for s in segments), kwargs


def test_timestamps(model):
    audio = noise(3.0, 9)
    first = model.transcribe(audio, max_initial_timestamp=0.0, **QUICK)[0][0]
    assert first.tokens[0] == TIMESTAMP_BEGIN and first.start == 0.0
    bounded = model.transcribe(audio, **QUICK)[0]
    assert bounded and TIMESTAMP_BEGIN <= bounded[0].tokens[0] <= TIMESTAMP_BEGIN + 50
    # Unbounded, this model opens at another timestamp: another result.
    assert as_tuples(model.transcribe(audio, max_initial_timestamp=-1.0, **QUICK)[0]) != as_tuples(bounded)
    plain = model.transcribe(audio, without_timestamps=True, **QUICK)[0]
    # No timestamp opens the window: its text comes at once, one segment for the window.
    assert plain and plain[0].tokens[0] < EOT and plain[0].start == 0.0


def test_suppression(model):
    audio = noise(3.0, 10)
    segments = model.transcribe(audio, without_timestamps=True, **QUICK)[0]
    produced = sorted({t for s in segments for t in s.tokens if t < EOT})
    assert produced
    again = model.transcribe(audio, without_timestamps=True, suppress_tokens=[-1, *produced], **QUICK)[0]
    assert again and not {t for s in again for t in s.tokens} & set(produced)
    assert segments[0].tokens[0] not in (SPACE, EOT)  # suppress_blank
    for kwargs in (dict(suppress_tokens=None), dict(suppress_tokens=[]), dict(suppress_blank=False)):
        assert model.transcribe(audio, without_timestamps=True, **QUICK, **kwargs)[0], kwargs


def test_prompt_prefix_and_conditioning(model):
    audio = noise(3.0, 11)
    plain = model.transcribe(audio, language="en", **QUICK)[0]
    prompted = model.transcribe(audio, language="en", initial_prompt="The quick brown fox.", **QUICK)[0]
    prefixed = model.transcribe(audio, language="en", prefix="Hello world", **QUICK)[0]
    assert as_tuples(prompted) != as_tuples(plain)
    assert as_tuples(prefixed) != as_tuples(plain)
    # Long audio: each later window reads the text before it, or not.
    long_audio = noise(40.0, 12)
    conditioned = model.transcribe(long_audio, language="en", **QUICK)[0]
    independent = model.transcribe(long_audio, language="en", condition_on_previous_text=False, **QUICK)[0]
    assert {s.seek for s in conditioned} - {0} and {s.seek for s in independent} - {0}
    assert as_tuples(conditioned) != as_tuples(independent)


def test_detect_language(model, english_dir):
    audio = voiced(3.0, 13)
    language, probability, ranked = model.detect_language(audio)
    assert isinstance(language, str) and isinstance(probability, float)
    assert ranked[0] == (language, probability)
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0)
    assert len(ranked) == 99 and "en" in dict(ranked)
    info = model.transcribe(audio, **QUICK)[1]
    assert (info.language, info.language_probability) == (language, pytest.approx(probability))

    english = WhisperModel(english_dir)
    assert model.is_multilingual and not english.is_multilingual
    with pytest.raises(ValueError, match="multilingual"):
        english.detect_language(audio)
    # English-only models transcribe English whatever is asked.
    assert english.transcribe(audio, language="de", **QUICK)[1].language == "en"


def test_properties(tiny_dir, model):
    assert (model.device, model.precision) == ("cpu", "float32")
    assert WhisperModel(tiny_dir, device="CPU", precision="fp32").precision == "float32"
    assert repr(model) == "pylre.WhisperModel(device='cpu', precision='float32')"
    assert pylre.WhisperModel is WhisperModel


def test_threads_share_one_model(model):
    audios = [voiced(6.0, 14), noise(6.0, 15)]
    kwargs = dict(language="en", beam_size=2, temperature=0.0, log_prob_threshold=None)
    expected = [as_tuples(model.transcribe(a, **kwargs)[0]) for a in audios]
    assert expected[0] != expected[1]
    results = [[], []]
    errors = []

    def work(i):
        try:
            for _ in range(3):
                results[i].append(as_tuples(model.transcribe(audios[i], **kwargs)[0]))
        except BaseException as e:  # reported in the main thread, where pytest sees it
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    for i in range(2):
        assert results[i] == [expected[i]] * 3


def test_gil_is_released_while_transcribing(model):
    audio = noise(30.0, 16)
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        model.transcribe(audio, language="en", beam_size=3, temperature=0.0)
        end = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    # Were the GIL held for the whole call, the spinner could not record a single tick inside it.
    margin = 0.1 * (end - start)
    assert [t for t in ticks if start + margin < t < end - margin], f"no Python progress during a {end - start:.3f} s call"


def test_errors(tiny_dir, model, tmp_path):
    with pytest.raises(FileNotFoundError):
        WhisperModel(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="precision"):
        WhisperModel(tiny_dir, precision="fp8")
    with pytest.raises(NotImplementedError, match="float32"):  # a RuntimeError
        WhisperModel(tiny_dir, precision="fp16")
    with pytest.raises(ValueError, match="device"):
        WhisperModel(tiny_dir, device="tpu")
    with pytest.raises(ValueError, match="threads"):
        WhisperModel(tiny_dir, threads=-1)
    if pylre._pylre.cuda_devices() == 0:
        with pytest.raises(RuntimeError):
            WhisperModel(tiny_dir, device="cuda")

    audio = noise(1.0, 17)
    (tmp_path / "text.wav").write_text("not audio")
    if pylre._pylre.can_decode_audio_files():
        with pytest.raises(FileNotFoundError, match="missing.wav"):
            model.transcribe(str(tmp_path / "missing.wav"))
        with pytest.raises(ValueError, match="text.wav"):
            model.transcribe(str(tmp_path / "text.wav"))
    else:
        with pytest.raises(NotImplementedError):
            model.transcribe(str(tmp_path / "text.wav"))
    with pytest.raises(ValueError, match="float32"):
        model.transcribe(audio.astype(np.float64))
    with pytest.raises(ValueError, match="float32"):
        model.transcribe((audio * 32767).astype(np.int16))
    with pytest.raises(ValueError, match="1-D"):
        model.transcribe(np.stack([audio, audio]))
    with pytest.raises(ValueError, match="empty"):
        model.transcribe(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="not finite"):
        model.transcribe(np.where(np.arange(audio.size) == 5, np.nan, audio).astype(np.float32))
    with open(tmp_path / "text.wav", "r") as f:
        with pytest.raises(ValueError, match="binary"):
            model.transcribe(f)
    bad_arguments = [
        (dict(task="summarize"), "task"), (dict(language="klingon"), "klingon"), (dict(beam_size=0), "beam_size"),
        (dict(best_of=0), "best_of"), (dict(patience=0.0), "patience"), (dict(patience=-1.0), "patience"),
        (dict(beam_size=5, patience=0.05), "patience"), (dict(length_penalty=-1.0), "length_penalty"),
        (dict(temperature=()), "temperature"), (dict(temperature=-0.5), "temperature"),
        (dict(suppress_tokens=[-2]), "suppress_tokens"),
    ]
    for kwargs, message in bad_arguments:
        with pytest.raises(ValueError, match=message):
            model.transcribe(audio, **kwargs)
    with pytest.raises(TypeError):
        model.transcribe(audio, word_timestamps=True)  # not offered, rather than ignored
