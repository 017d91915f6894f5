"""Export a graph's model (safetensors, pt, pt2, TorchScript, ONNX, Python) and verify every file written.

See docs/export.md.
"""

from engine.export.exporter import TOLERANCE, ExportResult, export_model, verify_export
from engine.export.formats import FORMATS, ONNX_OPSET
from engine.export.model_part import ExportError, ModelPart, model_part, read_weights

__all__ = [
    "FORMATS",
    "ONNX_OPSET",
    "TOLERANCE",
    "ExportError",
    "ExportResult",
    "ModelPart",
    "export_model",
    "model_part",
    "read_weights",
    "verify_export",
]
