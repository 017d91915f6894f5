"""The training loop's Callback API: no-op hooks, one dispatcher, progress bar, JSONL writer.

The editor's live plots and the CLI's progress bar are both callbacks. Hooks run in the
training process, between batches: keep them cheap. Per-batch losses reach callbacks as
`BatchEnd.rows`, converted to floats in one go every few batches (the trainer's
`log_every`), so nothing forces a device sync on every step.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from engine.fileio import append_whole, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from engine.training.trainer import Trainer, TrainingResult


@dataclass
class BatchEnd:
    """One finished batch. `rows` holds per-batch metrics not yet delivered (often empty)."""

    epoch: int  # 1-based
    index: int  # 0-based within the epoch
    step: int  # batches since the run began, 1-based, continuing across resumes
    size: int  # samples in this batch
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TrainingEvent:
    """Something that happened between batches: kind is one of EVENT_KINDS."""

    kind: str
    epoch: int
    step: int
    data: dict[str, Any] = field(default_factory=dict)


EVENT_KINDS = ("paused", "resumed", "stop_requested", "lr_changed", "early_stopped")


class Callback:
    """Base class: override the hooks you need; every hook is a no-op here."""

    def on_train_start(self, trainer: Trainer) -> None:
        pass

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, batch: BatchEnd) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        pass

    def on_event(self, trainer: Trainer, event: TrainingEvent) -> None:
        pass

    def on_train_end(self, trainer: Trainer, result: TrainingResult) -> None:
        pass

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        pass


HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


class CallbackList:
    """Calls each hook on every callback, in the order given (the same way for every hook)."""

    def __init__(self, callbacks: Iterable[Callback] = ()):
        self.callbacks = list(callbacks)

    def wants(self, hook: str) -> bool:
        """Whether any callback overrides `hook` (the trainer skips building what nobody reads)."""
        base = getattr(Callback, hook)
        return any(getattr(getattr(c, hook), "__func__", None) is not base for c in self.callbacks)


def _dispatcher(hook: str):
    def dispatch(self: CallbackList, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    dispatch.__name__ = hook
    return dispatch


for _hook in HOOKS:
    setattr(CallbackList, _hook, _dispatcher(_hook))


class ProgressBar(Callback):
    """A tqdm bar over every batch of the run, with the latest losses as its postfix."""

    def __init__(self, file: TextIO | None = None, disable: bool = False):
        self.file = file
        self.disable = disable
        self.bar = None

    def on_train_start(self, trainer: Trainer) -> None:
        from tqdm import tqdm

        total = trainer.epochs * trainer.batches_per_epoch
        done = trainer.start_epoch * trainer.batches_per_epoch
        self.bar = tqdm(
            total=total,
            initial=done,
            file=self.file,
            disable=self.disable,
            unit="batch",
            dynamic_ncols=True,
            leave=True,
        )

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        self.bar.set_description(f"epoch {epoch}/{trainer.epochs}")

    def on_batch_end(self, trainer: Trainer, batch: BatchEnd) -> None:
        self.bar.update(1)
        if batch.rows:
            last = batch.rows[-1]
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in last.items() if k.startswith("loss")}, refresh=False)

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        shown = {k: f"{v:.4g}" for k, v in metrics.items() if isinstance(v, float) and (k.endswith(("_loss", "_acc")))}
        self.bar.set_postfix(shown)

    def on_train_end(self, trainer: Trainer, result: TrainingResult) -> None:
        self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class BackgroundWrites:
    """Runs file writes one after another on a thread of their own, so training never waits for the disk.

    Each atomic write ends with an fsync, which takes 5-25 ms on a busy disk: done between
    epochs on the training thread, that was a third of the digits MLP's wall time. Writes keep
    their order; the first one that fails is raised on the next `submit` or on `drain`.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def submit(self, write: Callable[[], None]) -> None:
        self._raise_failed(wait=False)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwright-writes")
        self._pending.append(self._pool.submit(write))

    def drain(self) -> None:
        """Wait until every write is on disk; raise the first that failed."""
        try:
            self._raise_failed(wait=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            self._pending = []

    def _raise_failed(self, wait: bool) -> None:
        still_running = []
        for future in self._pending:
            if not wait and not future.done():
                still_running.append(future)
                continue
            error = future.exception()
            if error is not None:
                for other in self._pending:
                    other.cancel()
                self._pending = []
                raise error
        self._pending = still_running


class MetricsWriter(Callback):
    """Writes one JSON object per epoch to `path` (and per logged batch to `batches_path`, if given).

    Neither file is ever left half-written: `path` is replaced as a whole (temporary file and
    rename) after each epoch, and the batch rows of an epoch are appended in one piece at its
    end, cut back if the disk fills. The writes run in the background (`BackgroundWrites`) and
    are all on disk when training ends or fails. On a resumed run `path` is rewritten from the
    restored history first, so its curves continue where the checkpoint left them.
    """

    def __init__(self, path: str | os.PathLike, batches_path: str | os.PathLike | None = None):
        self.path = path
        self.batches_path = batches_path
        self._epoch_lines: list[str] = []
        self._batch_lines: list[str] = []
        self._replace_batches = False
        self._writes = BackgroundWrites()

    def on_train_start(self, trainer: Trainer) -> None:
        self._epoch_lines = [_line(row) for row in trainer.history]
        self._batch_lines = []
        self._replace_batches = not trainer.start_epoch  # a fresh run starts a fresh batch log
        if self._epoch_lines:
            atomic_write_text(self.path, "".join(self._epoch_lines))

    def on_batch_end(self, trainer: Trainer, batch: BatchEnd) -> None:
        if self.batches_path is not None:
            self._batch_lines.extend(_line(row) for row in batch.rows)

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        self._flush_batches()
        self._epoch_lines.append(_line(metrics))
        text = "".join(self._epoch_lines)
        self._writes.submit(lambda: atomic_write_text(self.path, text))

    def on_train_end(self, trainer: Trainer, result: TrainingResult) -> None:
        self._flush_batches()  # a run stopped mid-epoch keeps the batches it trained
        self._writes.drain()

    def wait_until_written(self) -> None:
        """Return once everything received so far is on disk (raises the first write that failed)."""
        self._writes.drain()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        with contextlib.suppress(OSError):  # the run's own error is the one to report
            self._flush_batches()  # the curve up to a divergence is worth keeping
        with contextlib.suppress(OSError):
            self._writes.drain()

    def _flush_batches(self) -> None:
        if self.batches_path is None or not (self._batch_lines or self._replace_batches):
            return
        text = "".join(self._batch_lines).encode("utf-8")
        path = self.batches_path
        if self._replace_batches:
            self._writes.submit(lambda: atomic_write_bytes(path, text))
            self._replace_batches = False
        else:
            self._writes.submit(lambda: append_whole(path, text))
        self._batch_lines = []


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, allow_nan=True) + "\n"
