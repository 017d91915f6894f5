"""Bring models in: a PyTorch nn.Module (traced with torch.fx), an ONNX file, or weights for a graph.

See docs/export.md.
"""

from engine.importers.common import ImportResult, ModelImportError, layout
from engine.importers.onnx_model import import_onnx
from engine.importers.pytorch import import_module, import_pytorch, load_model_class
from engine.importers.weights import Match, WeightsReport, import_weights, match_weights

__all__ = [
    "ImportResult",
    "Match",
    "ModelImportError",
    "WeightsReport",
    "import_module",
    "import_onnx",
    "import_pytorch",
    "import_weights",
    "layout",
    "load_model_class",
    "match_weights",
]
