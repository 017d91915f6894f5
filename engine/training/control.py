"""Cooperative pause / resume / stop for a training run, usable from another thread or process.

The trainer calls `poll()` between batches. A paused run blocks on an Event (no busy loop)
until `resume()` or `stop()`; a learning-rate change requested while paused is applied
when the run continues. Thread-backed by default; `TrainingControl.for_processes(ctx)`
builds the same object on multiprocessing primitives so a parent process (the editor) can
steer a child that trains. No torch here: the editor imports this without loading torch.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LrChange:
    """Set the learning rate of optimizer node `optimizer` (None: every optimizer) to `lr`."""

    lr: float
    optimizer: str | None = None


class TrainingControl:
    """pause(), resume(), stop() and set_lr() from anywhere; poll() from the training loop."""

    def __init__(self, *, _events: tuple[Any, Any] | None = None, _commands: Any = None):
        # `_go` is set while the run may proceed (running, or stopping); cleared while paused.
        self._go, self._stop = _events or (threading.Event(), threading.Event())
        self._commands = _commands if _commands is not None else queue.SimpleQueue()
        self._go.set()

    @classmethod
    def for_processes(cls, context: Any) -> TrainingControl:
        """A control backed by `context`'s (a multiprocessing context) Events and a SimpleQueue.

        Pass it to the child process when starting it; both sides then share its state.
        A SimpleQueue writes synchronously, so a change put before `resume()` is seen on resume.
        """
        return cls(_events=(context.Event(), context.Event()), _commands=context.SimpleQueue())

    # -- the controlling side ------------------------------------------------------------------
    def pause(self) -> None:
        if not self._stop.is_set():
            self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()  # wake a paused loop so it can end

    def set_lr(self, lr: float, optimizer: str | None = None) -> None:
        """Change a learning rate; it takes effect at the next batch (or on resume)."""
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, received {lr!r}")
        self._commands.put(LrChange(float(lr), optimizer))

    # -- the training side ---------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block until resumed or stopped; True unless the timeout ran out first."""
        return self._go.wait(timeout)

    def pending_changes(self) -> list[LrChange]:
        """Take every learning-rate change requested since the last call."""
        changes = []
        while not self._commands.empty():
            changes.append(self._commands.get())
        return changes

    def reset(self) -> None:
        """Clear a stop and a pause so the same control can steer the next (resumed) run."""
        self._stop.clear()
        self._go.set()
