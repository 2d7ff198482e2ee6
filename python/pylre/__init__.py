"""pylre: Latent AI's pylre API on the LRE runtime.

    from pylre import LatentRuntimeEngine as LRE
    lre = LRE("model.onnx")
    logits = lre(image)            # numpy in -> numpy out, torch in -> torch out, zero-copy

    from pylre import WhisperModel
    segments, info = WhisperModel("whisper-small").transcribe("audio.wav")
"""
from ._pylre import Tensor
from .engine import LatentRuntimeEngine
from .whisper import Segment, TranscriptionInfo, WhisperModel

__all__ = ["LatentRuntimeEngine", "Segment", "Tensor", "TranscriptionInfo", "WhisperModel"]
