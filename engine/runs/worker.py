"""The training child process: runs jobs one after another and streams batched events.

The editor starts `host_main` once with multiprocessing *spawn* (a process, not a thread:
the GIL would make a training thread and the UI take turns, see STACK_NOTES) and keeps it
warm: torch, the trainer and the datasets are imported while the user is still editing,
so pressing Train starts at once. For each job (a plain dict: the graph as a document,
setting overrides, the run folder) it trains with these callbacks:

- `MetricsWriter`: metrics.jsonl and batches.jsonl in the run folder;
- `InspectionRecorder`: the run folder's inspection/ (engine/inspection; the `inspect*` settings);
- `Insights`: the confusion matrix and sample outputs after each epoch;
- `EventStream`: everything the UI draws, as a list of (kind, data) messages put on the
  events queue at most every `interval` seconds (0.1 s; at once for the first batch, user
  events and the end), so the UI unpickles a few messages per poll however fast training runs.

Message kinds: hello, warm (the first job's imports are loaded), started, rows (per-batch metrics), progress, epoch (epoch metrics),
insights, event (paused, resumed, lr_changed, ...), finished (status, error, run folder).
Everything that goes wrong is caught and reported as `finished` with an `error` dict that
names the node and suggests a fix; the process lives on for the next job.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.fileio import write_failure
from engine.runs.record import run_record, write_record
from engine.runs.store import BATCHES, METRICS, WEIGHTS
from engine.training.callbacks import BatchRows, Callback, MetricsWriter, TrainingEvent
from engine.training.score_report import test_score_line
from engine.training.threads import ThreadChoice, apply_threads, choose_threads, training_thread_choice

WRITE_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM)
UI_CORES = 1  # cores the training process leaves to the editor's window


def available_devices() -> list[tuple[str, str]]:
    """(value, label) for every device this machine can train on, `auto` first."""
    import torch

    devices = [("auto", "Auto"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            devices.append((f"cuda:{index}", f"CUDA {index}: {torch.cuda.get_device_name(index)}"))
    backend = getattr(torch.backends, "mps", None)
    if backend is not None and backend.is_available():
        devices.append(("mps", "Apple GPU (MPS)"))
    return devices


def host_main(jobs, events, control, threads: int | None = None) -> None:
    """Child process entry point: warm up, then run each job received on `jobs` until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the editor's to handle
    own_scheduling_group()
    import torch

    # until a job says how big its model is; each job then chooses its own (one core stays with the UI)
    apply_threads(choose_threads(0, threads, reserve_cores=UI_CORES))
    import engine.data.builtin  # noqa: F401 - warm the imports a first run would wait for
    import engine.training.insights  # noqa: F401
    import engine.training.trainer  # noqa: F401

    events.put(
        [
            (
                "hello",
                {
                    "pid": os.getpid(),
                    "devices": available_devices(),
                    "threads": torch.get_num_threads(),
                    # a plain str: torch's TorchVersion would make the window import torch to unpickle it
                    "torch": str(torch.__version__),
                },
            )
        ]
    )
    warm_started = time.perf_counter()
    with contextlib.suppress(Exception):  # warming is an optimization: a job reports any real failure itself
        warm_up()
    events.put([("warm", {"seconds": time.perf_counter() - warm_started})])
    try:
        while True:
            try:
                job = jobs.recv()
            except (EOFError, OSError):  # the editor is gone
                break
            if job is None:
                break
            run_job(job, events, control)
    finally:
        events.close()
        events.join_thread()


def own_scheduling_group() -> None:
    """Start a session of its own, so that the kernel schedules training apart from the window.

    Linux's autogroup scheduler (on by default on desktop distributions, and here) shares the
    CPU fairly between sessions, not processes: in the editor's session, every millisecond the
    window paints is taken from training's share when the machine is busy. In its own session
    the child gets a share of its own. It still ends with the editor (its job pipe closes).
    """
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):  # already a session leader, or not allowed: keep sharing
            os.setsid()


def warm_up() -> None:
    """Load what the first job would otherwise wait for, while the user is still editing.

    Measured on a fresh child (2 cores): without this the first Train spent ~2.7 s before its
    first batch, importing scikit-learn (the built-in datasets are read and split through it),
    torch._dynamo (pulled in by the first optimizer step), the graph compiler, the run
    record writers and safetensors. One tiny fused-Adam step also loads the autograd and
    optimizer kernels. Jobs sent meanwhile wait in the pipe and start right after.
    """
    import sklearn.model_selection  # noqa: F401 - the stratified train/validation split
    import torch
    import torch._dynamo  # noqa: F401 - imported by the first optimizer step otherwise
    from sklearn import datasets

    import engine.compiler  # noqa: F401
    import engine.graph.fileformat  # noqa: F401
    import engine.training.checkpoint  # noqa: F401

    datasets.load_digits()  # the examples' dataset: its module, its file in the OS cache
    layer = torch.nn.Linear(4, 3)
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3, fused=True)
    loss = torch.nn.functional.cross_entropy(layer(torch.zeros(2, 4)), torch.zeros(2, dtype=torch.long))
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        layer(torch.zeros(2, 4)).argmax(1)


class EventStream(Callback):
    """Batches the run's messages and puts them on `queue` at most every `interval` seconds.

    Rows, progress, epoch metrics and insights wait for the next put, in the order they
    happened (so the editor unpickles a few messages a second however short the epochs);
    what the user did (a pause, an lr change, a stop) and the run's end go out at once.
    Nothing is dropped: every batch row and every epoch's metrics reach the editor.
    """

    def __init__(self, queue, interval: float = 0.1, control=None):
        self.queue = queue
        self.interval = interval
        self.control = control
        self.pending: list[tuple[str, Any]] = []
        self.progress: BatchRows | None = None
        self.samples = 0
        self.last = self.started = time.perf_counter()
        self.last_samples = 0
        self.trainer = None
        self.first_batch_at: float | None = None

    def send(self, kind: str, data: Any, flush: bool = True) -> None:
        self.pending.append((kind, data))
        if flush:
            self.flush()

    def insights(self, data: dict[str, Any]) -> None:
        self.pending.append(("insights", data))

    def on_train_start(self, trainer) -> None:
        self.trainer = trainer
        self.started = self.last = time.perf_counter()
        self.send("started", describe_run(trainer))

    def on_batch_rows(self, trainer, rows: BatchRows) -> None:
        first = self.first_batch_at is None
        if first:
            self.first_batch_at = time.time()  # wall clock: the editor compares it with when Train was pressed
        if rows.rows:
            if self.pending and self.pending[-1][0] == "rows":  # one message for consecutive deliveries
                self.pending[-1][1].extend(rows.rows)
            else:
                self.pending.append(("rows", list(rows.rows)))
        self.samples += rows.samples
        self.progress = rows
        now = time.perf_counter()
        if first or now - self.last >= self.interval:  # the first batch at once: the run has visibly begun
            self.flush(now)

    def on_epoch_end(self, trainer, epoch: int, metrics: dict[str, Any]) -> None:
        self.pending.append(("epoch", metrics))
        now = time.perf_counter()
        if now - self.last >= self.interval:
            self.flush(now)

    def on_event(self, trainer, event: TrainingEvent) -> None:
        if event.kind == "resumed":
            self.last = time.perf_counter()  # the pause is not training time
            self.last_samples = self.samples
        self.send("event", {"kind": event.kind, "epoch": event.epoch, "step": event.step, **event.data})

    def on_train_end(self, trainer, result) -> None:
        self.flush()

    def on_exception(self, trainer, error: BaseException) -> None:
        self.flush()

    def flush(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        messages = self.pending
        if self.progress is not None and self.trainer is not None:
            window = now - self.last
            rate = (self.samples - self.last_samples) / window if window > 0 else 0.0
            b = self.progress
            progress = (
                "progress",
                {
                    "epoch": b.epoch,
                    "index": b.index,
                    "step": b.step,
                    "epochs": self.trainer.epochs,
                    "batches_per_epoch": self.trainer.batches_per_epoch,
                    "samples_per_s": rate,
                    "elapsed": now - self.started,
                },
            )
            # right after the last rows: before the epochs, events and the end that followed them
            at = next((i + 1 for i in range(len(messages) - 1, -1, -1) if messages[i][0] == "rows"), 0)
            messages.insert(at, progress)
        if messages:
            self.queue.put(messages)
        self.pending = []
        self.last, self.last_samples = now, self.samples


def describe_run(trainer) -> dict[str, Any]:
    """What the UI needs to lay out its plots for this run."""
    plan = trainer.plan
    return {
        "epochs": trainer.epochs,
        "start_epoch": trainer.start_epoch,
        "batches_per_epoch": trainer.batches_per_epoch,
        "batch_size": trainer.batch_size,
        "num_train": trainer.num_train,
        "num_val": len(trainer.data.val_x),
        "losses": list(plan.losses),
        "accuracy": [a.loss for a in plan.accuracy],
        "optimizers": [{"id": s.node_id, "lr": s.lr} for s in trainer.steps],
        "class_names": list(trainer.data.class_names),
        "device": str(trainer.device),
        "weighted": list(plan.weighted),
        "relus": list(plan.relus),
        # the layers whose gradient norms each epoch reports, in the order its `grad_norm` lists them
        "layers": list(dict.fromkeys(layer for step in trainer.steps for layer in step.param_layers)),
        "monitor": trainer.monitor.name,
        "step": trainer.step_count,
    }


# -- one job -----------------------------------------------------------------------------------
def job_base_dir(job: dict[str, Any]) -> Path | None:
    """The folder the job's relative data paths are read from: the editor's, else the graph file's."""
    if job.get("base_dir"):
        return Path(job["base_dir"])
    if job.get("graph_file"):
        return Path(job["graph_file"]).resolve().parent
    return None


def run_job(job: dict[str, Any], events, control) -> None:
    """Train one graph into `job["run_dir"]`; report every outcome on `events`."""
    try:
        _run_job(job, events, control)
    except OSError as exc:  # the run folder cannot take its files (a full or read-only disk): say so, live on
        events.put(
            [("finished", {"status": "failed", "error": describe_failure(exc, None), "run_dir": job["run_dir"]})]
        )


def _run_job(job: dict[str, Any], events, control) -> None:
    from engine.graph.fileformat import graph_from_document
    from engine.inspection.recorder import InspectionRecorder
    from engine.training.checkpoint import load_weights, save_weights
    from engine.training.errors import DivergedError
    from engine.training.insights import Insights
    from engine.training.trainer import Trainer

    received = time.time()
    folder = Path(job["run_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    stream = EventStream(events, float(job.get("interval", 0.1)), control)
    control.pending_changes()  # a change left over from an earlier run is not for this one
    started = time.time()
    base = {
        "run_id": folder.name,
        "started": datetime.now().isoformat(timespec="seconds"),
        "graph_file": job.get("graph_file"),
        "init_weights": job.get("init_weights"),
    }
    trainer = None
    try:
        graph = graph_from_document(job["graph"])
        graph.base_dir = job_base_dir(job)
        callbacks = [MetricsWriter(folder / METRICS, folder / BATCHES), InspectionRecorder(folder)]
        if job.get("insights", True):
            callbacks.append(Insights(stream.insights, min_interval=float(job.get("insights_interval", 0.5))))
        callbacks.append(stream)
        trainer = Trainer(
            graph,
            settings=job.get("settings") or {},
            callbacks=callbacks,
            control=control,
            log_every=int(job.get("log_every", 10)),
        )
        threads = training_thread_choice(trainer, job.get("threads"), reserve_cores=UI_CORES)
        apply_threads(threads)
        if job.get("init_weights"):
            load_weights(trainer.modules, job["init_weights"])
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message, the process lives on
        error = describe_failure(exc, trainer)
        _write_record(
            folder,
            {
                **base,
                "status": "failed",
                "error": error["message"],
                "graph": job["graph"],
                "settings": job.get("settings") or {},
                "seconds": time.time() - started,
            },
        )
        events.put([("finished", {"status": "failed", "error": error, "run_dir": str(folder)})])
        return
    _write_record(folder, {**base, **_record(job, graph, trainer, "running", None, 0.0, threads)})
    status, error = "completed", None
    fit_started = time.perf_counter()
    try:
        status = trainer.fit().status
    except DivergedError as exc:
        status, error = "diverged", describe_failure(exc, trainer)
    except Exception as exc:  # noqa: BLE001
        status, error = "failed", describe_failure(exc, trainer)
    fit_seconds = time.perf_counter() - fit_started
    weights = None
    if error is None:
        weights = folder / WEIGHTS
        save_weights(trainer.modules, weights, {"graph_hash": trainer.graph_hash})
    seconds = time.time() - started
    _write_record(
        folder, {**base, **_record(job, graph, trainer, status, error and error["message"], seconds, threads)}
    )
    stream.send(
        "finished",
        {
            "status": status,
            "error": error,
            "run_dir": str(folder),
            "weights": str(weights) if weights else None,
            "epochs_completed": len(trainer.history),
            "seconds": seconds,
            "fit_seconds": fit_seconds,
            "job_received_at": received,
            "first_batch_at": stream.first_batch_at,
            "samples_trained": (trainer.step_count and len(trainer.history) * trainer.num_train),
            "test_metrics": trainer.test_metrics,
            "test_line": test_score_line(trainer.test_metrics, trainer.data.test_source)
            if trainer.test_metrics
            else None,
        },
    )


def _record(
    job, graph, trainer, status: str, error: str | None, seconds: float, threads: ThreadChoice
) -> dict[str, Any]:
    return run_record(graph, trainer, status, error, seconds, graph_file=job.get("graph_file") or "", threads=threads)


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    write_record(folder, record)


# -- failures ----------------------------------------------------------------------------------
def describe_failure(exc: BaseException, trainer) -> dict[str, Any]:
    """A dict the editor shows as a dialog: kind, title, message, node_id, suggestion, detail."""
    from engine.training.errors import DivergedError

    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    node_id = getattr(exc, "node_id", None)
    if isinstance(exc, DivergedError):
        optimizers = ", ".join(f"`{s.node_id}` (lr {s.lr:g})" for s in trainer.steps) if trainer else "the optimizer"
        where = f" `{node_id}`" if node_id else ""
        return _failure(
            "diverged",
            "Training diverged: the loss became NaN or infinite",
            str(exc),
            node_id,
            f"Lower the learning rate of {optimizers}, ten times smaller is a good first try; or set "
            f"grad_clip (e.g. 1.0) in the training settings; or normalize the input of{where or ' the layer'}.",
            detail,
        )
    node_id = node_id or _node_in_traceback(exc, trainer)
    named = f"`{node_id}`" if node_id else "the model"
    text = str(exc).lower()
    if _is_out_of_memory(exc):
        return _failure(
            "oom",
            "Out of memory",
            f"Ran out of memory in {named}: {message}",
            node_id,
            f"Use a smaller batch size, or fewer units or channels in {named}; on a GPU, "
            "close other programs using it or train on the CPU.",
            detail,
        )
    if isinstance(exc, RuntimeError) and any(k in text for k in ("shape", "size", "dimension", "mat1", "expected")):
        return _failure(
            "shape",
            "Shape error while training",
            f"{named} could not compute: {message}",
            node_id,
            f"Check the shapes on the edges into {named} (they are shown on the canvas) and its "
            "parameters; a size that depends on the data (a sequence length, the last smaller "
            "batch) is a common cause.",
            detail,
        )
    if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
        return _failure(
            "disk",
            "Cannot write the run's files",
            write_failure(exc),
            None,
            "Free some space on that disk (or make it writable), then train again; no file was left half-written.",
            detail,
        )
    setup = type(exc).__name__ in ("TrainingError", "DataError", "CompileError", "GraphFileError")
    if setup:
        return _failure(
            "setup",
            "Cannot start training",
            message,
            node_id,
            "Fix the problem named above (it is also listed in the Problems panel), then train again.",
            detail,
        )
    return _failure(
        "error",
        "Training stopped with an error",
        f"{type(exc).__name__} in {named}: {message}",
        node_id,
        "This looks like a bug; the details below help to report it.",
        detail,
    )


def _failure(kind, title, message, node_id, suggestion, detail) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": title,
        "message": message,
        "node_id": node_id,
        "suggestion": suggestion,
        "detail": detail,
    }


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    import torch

    oom = getattr(torch, "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or "out of memory" in str(exc).lower()


def _node_in_traceback(exc: BaseException, trainer) -> str | None:
    """The innermost node module on the failing call stack (a node id), if any."""
    if trainer is None or getattr(trainer, "modules", None) is None:
        return None
    owners = {id(module): name for name, module in trainer.modules.named_children()}
    found = None
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if owner is not None and id(owner) in owners:
            found = owners[id(owner)]
        tb = tb.tb_next
    return found
