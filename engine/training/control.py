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

PAUSED, STOPPED, LR_PENDING = 0, 1, 2  # the shared flags of a process-backed control


@dataclass(frozen=True)
class LrChange:
    """Set the learning rate of optimizer node `optimizer` (None: every optimizer) to `lr`."""

    lr: float
    optimizer: str | None = None


class TrainingControl:
    """pause(), resume(), stop() and set_lr() from anywhere; poll() from the training loop."""

    def __init__(self, *, _events: tuple[Any, Any] | None = None, _commands: Any = None, _flags: Any = None):
        # `_go` is set while the run may proceed (running, or stopping); cleared while paused.
        self._go, self._stop = _events or (threading.Event(), threading.Event())
        self._commands = _commands if _commands is not None else queue.SimpleQueue()
        # Across processes, reading an Event takes a lock and an empty-queue check a system call
        # (~10 us per batch together); shared bytes (paused, stopped, lr pending) are read for free.
        self._flags = _flags
        self._go.set()

    @classmethod
    def for_processes(cls, context: Any) -> TrainingControl:
        """A control backed by `context`'s (a multiprocessing context) Events and a SimpleQueue.

        Pass it to the child process when starting it; both sides then share its state.
        A SimpleQueue writes synchronously, so a change put before `resume()` is seen on resume.
        """
        return cls(
            _events=(context.Event(), context.Event()), _commands=context.SimpleQueue(), _flags=context.RawArray("b", 3)
        )

    # -- the controlling side ------------------------------------------------------------------
    def pause(self) -> None:
        if not self._stop.is_set():
            self._go.clear()
            self._flag(PAUSED, 1)

    def resume(self) -> None:
        self._flag(PAUSED, 0)
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._flag(STOPPED, 1)
        self._flag(PAUSED, 0)
        self._go.set()  # wake a paused loop so it can end

    def _flag(self, index: int, value: int) -> None:
        if self._flags is not None:
            self._flags[index] = value

    def set_lr(self, lr: float, optimizer: str | None = None) -> None:
        """Change a learning rate; it takes effect at the next batch (or on resume)."""
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, received {lr!r}")
        self._commands.put(LrChange(float(lr), optimizer))
        self._flag(LR_PENDING, 1)  # after the put: the reader clears it before taking

    # -- the training side ---------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        if self._flags is not None:
            return bool(self._flags[PAUSED])
        return not self._go.is_set()

    @property
    def stopped(self) -> bool:
        if self._flags is not None:
            return bool(self._flags[STOPPED])
        return self._stop.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block until resumed or stopped; True unless the timeout ran out first."""
        return self._go.wait(timeout)

    def pending_changes(self) -> list[LrChange]:
        """Take every learning-rate change requested since the last call."""
        if self._flags is not None:
            if not self._flags[LR_PENDING]:
                return []
            self._flags[LR_PENDING] = 0
        changes = []
        while not self._commands.empty():
            changes.append(self._commands.get())
        return changes

    def reset(self) -> None:
        """Clear a stop and a pause so the same control can steer the next (resumed) run."""
        self._stop.clear()
        self._flag(STOPPED, 0)
        self._flag(PAUSED, 0)
        self._go.set()
