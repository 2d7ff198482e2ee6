"""WhisperModel: Whisper transcription on the LRE runtime, in the shape of faster-whisper's API.

    from pylre import WhisperModel
    model = WhisperModel("whisper-small", device="cpu")
    segments, info = model.transcribe("audio.wav", beam_size=5)

The C++ side (_pylre.WhisperModel) loads the checkpoint once and transcribes without the GIL, on a
runner of its own for each call in flight, so one model serves several Python threads at once.
This file gives the arguments faster-whisper's names and defaults, turns path-likes and binary
files into what the C++ side takes, and the results into named tuples.
"""
import numbers
import os
from typing import List, NamedTuple, Optional, Tuple

from . import _pylre


class Segment(NamedTuple):
    """One transcribed segment, with the statistics of the window decode it came from."""
    id: int
    seek: int  # mel frame (10 ms) where its 30-second window started
    start: float  # seconds
    end: float
    text: str
    tokens: List[int]  # text and timestamp tokens
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    temperature: float  # the fallback temperature whose decode was kept


class TranscriptionInfo(NamedTuple):
    language: str
    language_probability: float  # of the detected language; 1.0 when it was given
    duration: float  # seconds of audio


def _audio_argument(audio):
    """A path-like as str, a binary file as its bytes; arrays go as they are (checked in C++)."""
    if isinstance(audio, os.PathLike):
        return os.fspath(audio)
    if hasattr(audio, "read"):
        data = audio.read()
        if not isinstance(data, bytes):
            raise ValueError("audio: a file object must be opened in binary mode ('rb')")
        return data
    return audio


class WhisperModel:
    """A Whisper checkpoint (a Hugging Face folder: config.json, model.safetensors, tokenizer
    files) loaded for one device.

    device: "cpu", "cuda", "cuda:N", or "auto" (cuda:0 when the build has CUDA and a GPU is
    visible, else cpu). precision: None (fp32 on cpu, fp16 on cuda), "fp32", "fp16" or "bf16"
    (the last two on cuda only: NotImplementedError on cpu). threads: CPU threads of each call
    in flight (0: one per core); on cuda, host threads for the log-mel spectrogram.

    Raises FileNotFoundError for a missing folder, ValueError for a bad argument,
    NotImplementedError for what this build or device cannot do, RuntimeError otherwise.
    """

    def __init__(self, model_path, device="cpu", precision=None, threads=0):
        self._model = _pylre.WhisperModel(os.fspath(model_path), device, precision, threads)

    @property
    def is_multilingual(self) -> bool:
        return self._model.is_multilingual

    @property
    def device(self) -> str:
        """"cpu" or "cuda:N"."""
        return self._model.device

    @property
    def precision(self) -> str:
        """"float32", "float16" or "bfloat16"."""
        return self._model.precision

    def transcribe(self, audio, language: Optional[str] = None, task: str = "transcribe", beam_size: int = 5,
                   best_of: int = 5, patience: float = 1.0, length_penalty: Optional[float] = None,
                   temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), compression_ratio_threshold: Optional[float] = 2.4,
                   log_prob_threshold: Optional[float] = -1.0, no_speech_threshold: Optional[float] = 0.6,
                   condition_on_previous_text: bool = True, initial_prompt: Optional[str] = None,
                   prefix: Optional[str] = None, suppress_blank: bool = True, suppress_tokens=(-1,),
                   without_timestamps: bool = False,
                   max_initial_timestamp: float = 1.0) -> Tuple[List[Segment], TranscriptionInfo]:
        """Transcribes (or translates into English) audio of any length, 30-second window by
        window, as Whisper does. Returns (segments, info), segments as a list.

        audio: a path (str or path-like), a binary file object or an encoded file's bytes,
        decoded by the runtime's audio loader (any format FFmpeg reads, resampled to 16 kHz
        mono); or a 1-D float32 array of 16 kHz mono samples in [-1, 1] (a numpy array, or
        anything numpy.asarray takes). Other dtypes are refused, not converted.

        The arguments mean what they mean in faster-whisper (and OpenAI Whisper):
        language: code or name; None detects it from the first 30 s. task: "transcribe" or
        "translate". beam_size: beams at temperature 0 (1: greedy). best_of: samples at
        temperatures above 0, the most probable kept. patience: beam search ends once
        round(beam_size * patience) hypotheses have ended. length_penalty: None ranks by log
        probability per token, a number >= 0 by ((5 + length) / 6) ** length_penalty.
        temperature: one value or the fallback sequence, tried in order while a window fails
        compression_ratio_threshold or log_prob_threshold (None: no such check); a window whose
        no-speech probability is above no_speech_threshold (None or 0: never) and whose log
        probability fails is skipped as silent. condition_on_previous_text: the previous text
        prompts the next window (not after a temperature above 0.5). initial_prompt: text that
        prompts the first window. prefix: text forced at the start of the first window.
        suppress_blank: no blank as the first token. suppress_tokens: token ids never produced,
        -1 for the non-speech symbols (None or empty: none). without_timestamps: no timestamp
        tokens (one segment per window). max_initial_timestamp: seconds the first timestamp
        may reach (negative: no limit).

        Not available: word_timestamps, vad_filter/vad_parameters, repetition_penalty,
        no_repeat_ngram_size, prompt_reset_on_temperature (fixed at 0.5), max_new_tokens,
        chunk_length, clip_timestamps, hallucination_silence_threshold, hotwords,
        language_detection_threshold/segments, multilingual, and token-id initial prompts.
        Unlike faster-whisper, segments is a list (decoded before this returns) and info holds
        language, language_probability and duration only.
        """
        if isinstance(temperature, numbers.Real):
            temperature = (temperature,)
        segments, info = self._model.transcribe(
            _audio_argument(audio), language=language, task=task, beam_size=beam_size, best_of=best_of,
            patience=patience, length_penalty=length_penalty, temperatures=list(temperature),
            compression_ratio_threshold=compression_ratio_threshold, log_prob_threshold=log_prob_threshold,
            no_speech_threshold=no_speech_threshold, condition_on_previous_text=condition_on_previous_text,
            initial_prompt=initial_prompt, prefix=prefix, suppress_blank=suppress_blank,
            suppress_tokens=None if suppress_tokens is None else list(suppress_tokens),
            without_timestamps=without_timestamps, max_initial_timestamp=max_initial_timestamp)
        return [Segment(**s) for s in segments], TranscriptionInfo(**info)

    def detect_language(self, audio) -> Tuple[str, float, List[Tuple[str, float]]]:
        """(language, probability, [(language, probability), ...] most probable first) of the
        first 30 seconds; audio as transcribe() takes it. A multilingual model's only
        (ValueError on English-only ones)."""
        return self._model.detect_language(_audio_argument(audio))

    def __repr__(self):
        if not hasattr(self, "_model"):  # its loading failed; a traceback may still show it
            return "pylre.WhisperModel(not loaded)"
        return f"pylre.WhisperModel(device={self.device!r}, precision={self.precision!r})"
