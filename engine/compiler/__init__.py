"""Compile graphs to torch.fx GraphModules (this is where torch comes in).

`input_name` needs no torch (the training plan uses it); the rest loads torch on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.compiler.names import input_name

_LAZY = {
    name: "engine.compiler.compile"
    for name in ("CompileError", "build_modules", "class_name", "compile_graph", "default_outputs", "model_output")
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CompileError",
    "build_modules",
    "class_name",
    "compile_graph",
    "default_outputs",
    "input_name",
    "model_output",
]
