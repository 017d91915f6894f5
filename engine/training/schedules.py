"""Learning-rate schedules and the monitored metric (early stopping, best checkpoint, plateau)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch


def make_scheduler(settings: dict[str, Any], optimizer: torch.optim.Optimizer):
    """The torch scheduler for the training block's `schedule`, stepped once per epoch (or None)."""
    kind = settings["schedule"]
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, settings["schedule_step_size"], settings["schedule_gamma"])
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings["epochs"])
    if kind == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode=monitor_mode(settings["monitor"]),
            factor=settings["schedule_gamma"],
            patience=settings["schedule_patience"],
        )
    return None


def step_scheduler(scheduler, monitored: float | None) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


def monitor_mode(name: str) -> str:
    """Accuracies improve upwards, everything else (losses) downwards."""
    return "max" if "acc" in name else "min"


@dataclass
class Monitor:
    """Tracks the best value of one metric; `wait` counts epochs without improvement."""

    name: str
    min_delta: float = 0.0
    best: float = math.nan
    best_epoch: int = 0
    wait: int = 0

    def update(self, value: float, epoch: int) -> bool:
        """Record this epoch's value; True when it improves on the best by more than min_delta."""
        if math.isnan(self.best):
            improved = not math.isnan(value)
        elif monitor_mode(self.name) == "max":
            improved = value > self.best + self.min_delta
        else:
            improved = value < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1
        return improved

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = float(state["best"]), int(state["best_epoch"]), int(state["wait"])
