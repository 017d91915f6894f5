"""Seeing inside a network: what each node computes, recorded while it trains and replayed after.

`store` (the run folder's `inspection/` and its reader) needs no torch, so the editor can
read a recording without loading it; the recorder, projections, attributions and decision
maps are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.inspection.store import (
    InspectionError,
    InspectionMissing,
    InspectionStore,
    NodeRecord,
    Probe,
    UnknownEpoch,
    UnknownNode,
)

_LAZY = {
    "InspectionRecorder": "engine.inspection.recorder",
    "Limits": "engine.inspection.capture",
}

__all__ = [
    "InspectionError",
    "InspectionMissing",
    "InspectionStore",
    "NodeRecord",
    "Probe",
    "UnknownEpoch",
    "UnknownNode",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.inspection' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
