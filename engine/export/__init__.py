"""Export a graph's model (safetensors, pt, pt2, TorchScript, ONNX, Python) and verify every file written.

The list of formats (`EXPORT_FORMATS`) needs no torch, so menus and `--help` can show it at
once; everything else loads torch, on first use. `engine.export.model_part` is the module (a
lazily re-exported function of the same name would be hidden by it once it is imported).
See docs/export.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.export.format_catalog import EXPORT_FORMATS, ONNX_OPSET, ExportFormat

if TYPE_CHECKING:
    from engine.export.exporter import TOLERANCE, ExportResult, export_model, verify_export
    from engine.export.formats import FORMATS
    from engine.export.model_part import ExportError, ModelPart

_NEEDS_TORCH = {
    "TOLERANCE": "engine.export.exporter",
    "ExportResult": "engine.export.exporter",
    "export_model": "engine.export.exporter",
    "verify_export": "engine.export.exporter",
    "FORMATS": "engine.export.formats",
    "ExportError": "engine.export.model_part",
    "ModelPart": "engine.export.model_part",
}

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "ONNX_OPSET",
    "TOLERANCE",
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "ModelPart",
    "export_model",
    "verify_export",
]


def __getattr__(name: str) -> Any:
    if name not in _NEEDS_TORCH:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_NEEDS_TORCH[name]), name)
