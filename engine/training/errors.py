"""What can go wrong in a training run, as exceptions with one readable line each."""

from __future__ import annotations


class TrainingError(Exception):
    """A run that cannot start: a graph, setting, device or checkpoint problem (exit 2)."""


class DivergedError(Exception):
    """A loss became NaN or infinite; `node_id` is the first node whose output did."""

    def __init__(self, message: str, node_id: str | None, epoch: int, step: int):
        super().__init__(message)
        self.node_id = node_id
        self.epoch = epoch
        self.step = step
