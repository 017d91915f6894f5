"""The training settings a run refuses, checked by one function that `train` and `validate` both call.

Checked before any data is read or model built: the device (and mixed precision on it) and the
metric that early stopping or a plateau schedule monitors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.training.errors import TrainingError
from engine.training.plan import TrainingPlan

if TYPE_CHECKING:  # asking torch about devices costs a second of start-up: only when it can matter
    import torch


def check_run_settings(settings: dict[str, Any], plan: TrainingPlan, has_val: bool) -> torch.device:
    """Raise TrainingError for a setting this run cannot honour; return the device it will use."""
    from engine.training.device import check_mixed_precision, resolve_device

    device = resolve_device(settings["device"])
    check_mixed_precision(bool(settings["mixed_precision"]), device)
    check_monitor(settings, plan, has_val)
    return device


def device_can_be_refused(settings: dict[str, Any]) -> bool:
    """Whether the device settings depend on this machine: the CPU and `auto` without mixed precision
    always work, so `validate` needs torch (and its start-up second) only for the other cases."""
    return bool(settings["mixed_precision"]) or settings["device"] not in ("cpu", "auto")


def check_monitor(settings: dict[str, Any], plan: TrainingPlan, has_val: bool) -> None:
    """Early stopping and plateau schedules watch `monitor`: it must be a metric this run computes."""
    names = plan.metric_names(has_val)
    if settings["monitor"] not in names and (settings["early_stopping"] or settings["schedule"] == "plateau"):
        raise TrainingError(
            f"the monitored metric {settings['monitor']!r} is not computed for this graph and data "
            f"(available: {', '.join(names)})"
        )


def has_validation(plan: TrainingPlan) -> bool:
    """Whether the run holds out validation samples, known from the Dataset's settings without reading data."""
    val_split = plan.graph.nodes[plan.dataset].params.get("val_split", 0.0)
    return isinstance(val_split, (int, float)) and val_split > 0
