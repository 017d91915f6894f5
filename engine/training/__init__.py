"""Training: the loop, its callbacks, pause/resume/stop control, checkpoints, scale-out.

`control` and `callbacks` need no torch, so a UI process can steer a run without loading
it; the rest is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.training.callbacks import (
    BatchEnd,
    BatchRows,
    Callback,
    CallbackList,
    MetricsWriter,
    ProgressBar,
    TrainingEvent,
)
from engine.training.control import LrChange, TrainingControl
from engine.training.errors import DivergedError, TrainingError

_LAZY = {
    "Trainer": "engine.training.trainer",
    "TrainingResult": "engine.training.trainer",
    "load_weights": "engine.training.checkpoint",
    "save_weights": "engine.training.checkpoint",
    "load_checkpoint": "engine.training.checkpoint",
    "make_plan": "engine.training.plan",
    "TrainingPlan": "engine.training.plan",
}

__all__ = [
    "BatchEnd",
    "BatchRows",
    "Callback",
    "CallbackList",
    "DivergedError",
    "LrChange",
    "MetricsWriter",
    "ProgressBar",
    "TrainingControl",
    "TrainingError",
    "TrainingEvent",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.training' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
