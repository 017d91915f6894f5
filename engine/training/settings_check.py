"""The training settings a run refuses, checked by one function that `train` and `validate` both call.

Checked before any data is read or model built: the device (and mixed precision on it) and the
metric that early stopping or a plateau schedule monitors.
"""

from __future__ import annotations

from typing import Any

import torch

from engine.training.device import check_mixed_precision, resolve_device
from engine.training.errors import TrainingError
from engine.training.plan import TrainingPlan
from engine.training.state import metric_names


def check_run_settings(settings: dict[str, Any], plan: TrainingPlan, has_val: bool) -> torch.device:
    """Raise TrainingError for a setting this run cannot honour; return the device it will use."""
    device = resolve_device(settings["device"])
    check_mixed_precision(bool(settings["mixed_precision"]), device)
    check_monitor(settings, plan, has_val)
    return device


def check_monitor(settings: dict[str, Any], plan: TrainingPlan, has_val: bool) -> None:
    """Early stopping and plateau schedules watch `monitor`: it must be a metric this run computes."""
    names = metric_names(plan, has_val)
    if settings["monitor"] not in names and (settings["early_stopping"] or settings["schedule"] == "plateau"):
        raise TrainingError(
            f"the monitored metric {settings['monitor']!r} is not computed for this graph and data "
            f"(available: {', '.join(names)})"
        )


def has_validation(plan: TrainingPlan) -> bool:
    """Whether the run holds out validation samples, known from the Dataset's settings without reading data."""
    val_split = plan.graph.nodes[plan.dataset].params.get("val_split", 0.0)
    return isinstance(val_split, (int, float)) and val_split > 0
