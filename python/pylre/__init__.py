"""pylre: Latent AI's pylre API on the LRE runtime.

    from pylre import LatentRuntimeEngine as LRE
    lre = LRE("model.onnx")
    logits = lre(image)            # numpy in -> numpy out, torch in -> torch out, zero-copy
"""
from ._pylre import Tensor
from .engine import LatentRuntimeEngine

__all__ = ["LatentRuntimeEngine", "Tensor"]
