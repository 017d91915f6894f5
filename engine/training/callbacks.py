"""The training loop's Callback API: no-op hooks, one dispatcher, progress bar, JSONL writer.

The editor's live plots and the CLI's progress bar are both callbacks. Hooks run in the
training process, between batches: keep them cheap. Per-batch losses reach callbacks in
chunks, converted to floats in one go every few batches (the trainer's `log_every`), so
nothing forces a device sync on every step: as `BatchRows` through `on_batch_rows`, at most
every ROWS_EVERY_S seconds (the hook for anything that streams, writes or draws metrics: it
costs nothing between deliveries), and as `BatchEnd.rows` through `on_batch_end`, which runs
after every batch (only for callbacks that define it).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, TextIO

from engine.fileio import append_whole, atomic_write_bytes, atomic_write_text
from engine.training.threads import yield_to_training

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


@dataclass
class BatchRows:
    """The per-batch metrics of the batches trained since the previous delivery, and where training is.

    Delivered after the run's first batch, then on a `log_every` boundary once ROWS_EVERY_S has
    passed, at every epoch's end, and before a pause or a stop; every batch's row exactly once.
    """

    epoch: int  # of the last batch trained
    index: int  # of the last batch within its epoch, 0-based
    step: int  # of the last batch, 1-based, continuing across resumes
    batches: int  # batches trained since the previous delivery
    samples: int  # samples in those batches
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

    def on_batch_rows(self, trainer: Trainer, rows: BatchRows) -> None:
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

    def on_batch_rows(self, trainer: Trainer, rows: BatchRows) -> None:
        # the bar moves with each delivery (several times a second), not after every batch
        if rows.rows:
            last = rows.rows[-1]
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in last.items() if k.startswith("loss")}, refresh=False)
        self.bar.update(rows.batches)

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
            self._pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="netwright-writes", initializer=yield_to_training
            )
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
    """Writes one JSON object per epoch to `path` (and per batch to `batches_path`, if given).

    Neither file is ever left half-written: `path` is replaced as a whole (temporary file and
    rename), and batch rows are appended whole epochs at a time, cut back if the disk fills.
    Both are written after an epoch once WRITE_EVERY_S has passed since the last write (so after
    every epoch when epochs are slower than that), and always when training ends or fails or
    `wait_until_written` is called. The writes run in the background (`BackgroundWrites`). On a
    resumed run `path` is rewritten from the restored history first, so its curves continue
    where the checkpoint left them.
    """

    # Epochs of the digits MLP take ~15 ms: writing both files (with their fsyncs) after each one
    # cost the training process ~2 % of its time and a thread hand-off per write.
    WRITE_EVERY_S = 0.5

    def __init__(self, path: str | os.PathLike, batches_path: str | os.PathLike | None = None):
        self.path = path
        self.batches_path = batches_path
        self._epoch_lines: list[str] = []
        self._epochs_held = False  # epoch lines not yet written
        # each delivery's rows, formatted by the writer thread: turning ~1,800 rows a second into
        # JSON lines was 1.1 % of the digits MLP's training thread (bench/bench_streaming_job.py)
        self._batch_rows: list[list[dict[str, Any]]] = []
        self._replace_batches = False
        self._written = -math.inf
        self._writes = BackgroundWrites()

    def on_train_start(self, trainer: Trainer) -> None:
        self._epoch_lines = [_line(row) for row in trainer.history]
        self._epochs_held = False
        self._batch_rows = []
        self._replace_batches = not trainer.start_epoch  # a fresh run starts a fresh batch log
        self._written = -math.inf
        if self._epoch_lines:
            atomic_write_text(self.path, "".join(self._epoch_lines))

    def on_batch_rows(self, trainer: Trainer, rows: BatchRows) -> None:
        if self.batches_path is not None and rows.rows:
            self._batch_rows.append(rows.rows)  # delivered rows are not changed afterwards

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        self._epoch_lines.append(_line(metrics))
        self._epochs_held = True
        now = time.perf_counter()
        if now - self._written >= self.WRITE_EVERY_S:
            self._write_held()
            self._written = now

    def on_train_end(self, trainer: Trainer, result: TrainingResult) -> None:
        self._write_held()  # a run stopped mid-epoch keeps the batches it trained
        self._writes.drain()

    def wait_until_written(self) -> None:
        """Return once everything received so far is on disk (raises the first write that failed)."""
        self._write_held()
        self._writes.drain()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        with contextlib.suppress(OSError):  # the run's own error is the one to report
            self._write_held()  # the curve up to a divergence is worth keeping
        with contextlib.suppress(OSError):
            self._writes.drain()

    def _write_held(self) -> None:
        self._flush_batches()
        if self._epochs_held:
            text = "".join(self._epoch_lines)
            self._writes.submit(lambda: atomic_write_text(self.path, text))
            self._epochs_held = False

    def _flush_batches(self) -> None:
        if self.batches_path is None or not (self._batch_rows or self._replace_batches):
            return
        deliveries, path = self._batch_rows, self.batches_path

        def text() -> bytes:
            return "".join(map(batch_lines, deliveries)).encode("utf-8")

        if self._replace_batches:
            self._writes.submit(lambda: atomic_write_bytes(path, text()))
            self._replace_batches = False
        else:
            self._writes.submit(lambda: append_whole(path, text()))
        self._batch_rows = []


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, allow_nan=True) + "\n"


def batch_lines(rows: list[dict[str, Any]]) -> str:
    """`rows` as JSON lines, exactly as json.dumps writes them, in about half its time.

    The rows of one delivery share their keys, and their values are plain ints and finite
    floats, whose JSON is their repr: one %-template repeated for every row does the work in a
    single call. Rows of several layouts, or with a NaN or a value of another type, go through
    json.dumps.
    """
    if len(set(map(tuple, rows))) == 1:
        values = tuple(chain.from_iterable(map(dict.values, rows)))
        if set(map(type, values)) <= _PLAIN and all(map(math.isfinite, values)):
            keys = (json.dumps(key).replace("%", "%%") for key in rows[0])
            template = "{" + ", ".join(f"{key}: %r" for key in keys) + "}\n"
            return (template * len(rows)) % values
    return "".join(map(_line, rows))


_PLAIN = {int, float}
