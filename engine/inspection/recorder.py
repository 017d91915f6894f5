"""InspectionRecorder: a training callback that records the network on a fixed probe set.

Attach it beside the other callbacks (`engine/runs/worker.py`, `python -m engine train`):

    Trainer(graph, callbacks=[..., InspectionRecorder(run_dir)])

It reads its settings from the run's training block (`inspect`, `inspect_every`,
`inspect_probe`, `inspect_max_mb`; see engine/graph/training.py). The probe (validation
samples, or training samples when there is no validation set) is chosen once from the seed,
classes taken in turn so each appears. Epoch 0 (the initial weights) is recorded, then every
`inspect_every` epochs, and the last one. `inspect_every` 0 (the default) aims at a replay of
about TARGET_RECORDINGS epochs evenly spread over the planned ones (every epoch for runs of up
to 10 epochs, every 2nd for 20, ...), as long as recording costs at most RECORD_SHARE of the time
the run will train: after each epoch the spacing is the smallest step (see `auto_spacing`) whose
remaining recordings, each costing what the last few did (`typical_cost`), fit what is left of
that share (setting up counted; the first grid point after epoch 0 is always recorded, since
epoch 0's recording is often cold and says little about the next ones). Which epochs that is can depend on the machine's speed: set a
number for a fixed spacing.

A recording costs the training thread only the probe's forward and backward pass and copies of
the weights (Capture.take); bounding, histograms, safetensors and the files are made on one
background thread (BackgroundJobs), while the next epoch trains. With auto spacing a recording
still being written when the next is due waits for a later epoch; a fixed spacing waits for the
writer instead. The folder never exceeds
`inspect_max_mb`: when the next epoch would not fit, every other recorded epoch is dropped
(epoch 0 is kept) and recordings come half as often, so a long run stays covered from start to
end at a coarser step.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from engine.fileio import current_umask
from engine.inspection.background import BackgroundJobs
from engine.inspection.capture import Capture, GradientSource, Limits, RawSnapshot
from engine.inspection.store import FOLDER, FORMAT, INDEX, PROBE, VERSION, epoch_file
from engine.training.callbacks import Callback

if TYPE_CHECKING:
    from engine.training.trainer import Trainer, TrainingResult

PROBE_STREAM = 15  # numpy seed stream of the probe choice, apart from the data split's
# inspect_every 0 (auto): about this many recorded epochs after epoch 0, spread over the planned ones ...
TARGET_RECORDINGS = 10
# ... while recording (the training thread's part and the writer's CPU time) takes at most this share
# of the time spent training (bench/bench_inspection.py; the issue allows 5 % in all)
RECORD_SHARE = 0.04


class InspectionRecorder(Callback):
    """Records into `<run_dir>/inspection/`; settings given here override the run's training block."""

    def __init__(
        self,
        run_dir: str | os.PathLike,
        *,
        enabled: bool | None = None,
        every: int | None = None,
        probe_size: int | None = None,
        max_mb: float | None = None,
        limits: Limits | None = None,
    ):
        self.folder = Path(run_dir) / FOLDER
        self._overrides = {"inspect": enabled, "inspect_every": every, "inspect_probe": probe_size}
        self._overrides["inspect_max_mb"] = max_mb
        self.limits = limits or Limits()
        self.active = False
        self.capture: Capture | None = None
        self.args: dict[str, torch.Tensor] = {}
        self.index: dict[str, Any] = {}
        self.sizes: dict[int, int] = {}  # recorded epoch -> bytes of its file
        self.attempted: set[int] = set()  # epochs recorded or skipped in this session
        self.failure: str | None = None  # one line, when the recording stopped on an error
        self.fixed_bytes = 0  # the probe file
        self.every = 0  # 0: auto, by the recording's cost (see on_epoch_end)
        self.grid = 1  # auto: record at most every this many epochs (the planned epochs / TARGET_RECORDINGS)
        self.spacing = 1  # auto: the spacing chosen after the last epoch (grid or coarser, by cost)
        self.first = 0  # the epoch this session started from
        self.planned = 0  # the epoch it is to end with
        self.recordings = 0  # recordings whose both parts are done
        self.costs: list[float] = []  # what each of them cost, in order (both parts)
        self.share = RECORD_SHARE
        self.cost = 0.0  # seconds the last recording took, its training-thread part and its writer's CPU time
        self.on_thread = 0.0  # seconds spent recording on the training thread in this session, setting up included
        self.written = 0.0  # CPU seconds of the writer thread (each counter has one thread that adds to it)
        self.trained = 0.0  # seconds of training (epochs, validation included) in this session
        self.jobs: BackgroundJobs | None = None
        self.mark = 0.0
        self.max_mb = 0.0
        self.max_bytes = 0

    @property
    def spent(self) -> float:
        """Seconds spent recording in this session, both threads, setting up included."""
        return self.on_thread + self.written

    def typical_cost(self) -> float:
        """What a recording costs: the median of the last few, the first left out once there are others
        (it is often cold: a process's first pass with hooks, its first safetensors)."""
        recent = (self.costs[1:] or self.costs)[-5:]
        return statistics.median(recent) if recent else 0.0

    # -- callback hooks ----------------------------------------------------------------------
    def on_train_start(self, trainer: Trainer) -> None:
        s = {**trainer.settings, **{k: v for k, v in self._overrides.items() if v is not None}}
        main = trainer.dist is None or trainer.dist.is_main
        self.active = bool(s.get("inspect", True)) and main
        if not self.active:
            return
        started = time.perf_counter()
        self.every = max(0, int(s.get("inspect_every", 0)))
        self.first, self.planned = trainer.start_epoch, trainer.epochs
        self.grid = max(1, math.ceil((self.planned - self.first) / TARGET_RECORDINGS))
        self.max_mb = float(s.get("inspect_max_mb", 20.0))
        self.max_bytes = int(self.max_mb * 2**20)
        try:
            self.capture = _capture_for(trainer, self.limits)
            resumed = bool(trainer.start_epoch) and self._resume()
            if not resumed:
                self._start_fresh(trainer, int(s.get("inspect_probe", 16)))
        except Exception as exc:  # noqa: BLE001 - see record: the recording must never end the training
            self._fail(trainer.start_epoch, exc)
            return
        self.jobs = BackgroundJobs()
        self.on_thread = time.perf_counter() - started
        if not resumed:
            self.record(0)

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        self.mark = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        if not self.active:
            return
        self.trained += time.perf_counter() - self.mark
        if self.every:
            if epoch % self.every == 0:
                self.record(epoch)
            return
        if not self.recordings:
            return  # epoch 0's is still being written: its cost is not known yet
        epoch_time = self.trained / max(1, epoch - self.first)
        if len(self.costs) < 2:  # only the first, often cold (imports, a first pass with hooks: 3-5x): the grid
            self.spacing = self.grid  # point after it is recorded, to learn what a warm recording costs
        else:
            self.spacing = auto_spacing(
                spent=self.spent,
                cost=self.typical_cost(),
                budget=self.share * epoch_time * (self.planned - self.first),
                epoch=epoch,
                first=self.first,
                planned=self.planned,
                minimum=self.grid,
            )
        # not while the last recording is still being written (a slow disk makes the spacing coarser)
        if (epoch - self.first) % self.spacing == 0 and not self.jobs.busy():
            self.record(epoch)

    def on_train_end(self, trainer: Trainer, result: TrainingResult) -> None:
        try:
            if not self.active or not trainer.history or result.status == "stopped":
                return  # a stop comes mid-epoch: its weights belong to no epoch's end, so they are not labelled one
            # The weights the run ends with: the best epoch's when early stopping restored them.
            final = result.best_epoch if result.restored_best and result.best_epoch else trainer.history[-1]["epoch"]
            if final not in self.attempted:
                self.record(int(final))
        finally:
            self.close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        self.close()

    def close(self) -> None:
        """Finish writing what was recorded and end the writer thread."""
        if self.jobs is not None:
            self.jobs.close()

    # -- recording ---------------------------------------------------------------------------
    def record(self, epoch: int) -> None:
        """Snapshot the network now and store it as `epoch` (within the size bound), the files on the writer thread.

        A failure (a full disk, an output the snapshot cannot handle) stops the recording, not
        the training: the run is what the user asked for, the recording an aid to look at it.
        It is not silent: `failure` holds one line (the CLI prints it) and the index says why.
        """
        if self.jobs is None or not self.active:
            return
        started = time.perf_counter()
        self.attempted.add(epoch)
        try:
            if self.every:  # a fixed spacing is kept: wait for the writer rather than skip
                self.jobs.wait()
            raw = self.capture.take(self.args)
        except Exception as exc:  # noqa: BLE001
            self.jobs.wait()  # the writer owns the index until it is idle
            self._fail(epoch, exc)
            return
        taken = time.perf_counter() - started
        self.on_thread += taken
        self.cost = taken
        self.jobs.submit(lambda: self._store(epoch, raw, taken))

    def _store(self, epoch: int, raw: RawSnapshot, taken: float) -> None:
        """The writer thread's part of a recording: summary, file, index."""
        if not self.active:
            return  # an earlier recording failed
        started = time.thread_time()
        try:
            self._record(epoch, raw)
        except Exception as exc:  # noqa: BLE001
            self._fail(epoch, exc)
        written = time.thread_time() - started
        self.written += written
        self.cost = taken + written
        self.costs.append(self.cost)
        self.recordings += 1

    def _fail(self, epoch: int, exc: Exception) -> None:
        from engine.fileio import write_failure

        self.active = False
        why = write_failure(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        self.failure = f"inspection stopped recording at epoch {epoch}: {why}"
        with contextlib.suppress(Exception):  # the disk may be what failed
            self.index["failed"] = {"epoch": epoch, "why": why}
            self._write_index()

    def _record(self, epoch: int, raw: RawSnapshot) -> None:
        from safetensors.numpy import save  # a third of safetensors.torch's time for the same file

        data = save({name: t.numpy() for name, t in self.capture.summarise(raw).items()})
        self.index["nodes"] = [
            self.capture.entries[n].as_json() for n in self.capture.node_ids if n in self.capture.entries
        ]
        if not self._make_room(len(data)):
            self.index.setdefault("skipped", []).append(
                {
                    "epoch": epoch,
                    "why": f"one recorded epoch takes {len(data) / 2**20:.2f} MB: with the probe it does not fit "
                    f"the {self.max_mb:g} MB bound (inspect_max_mb)",
                }
            )
            self._write_index()
            return
        path = self.folder / epoch_file(epoch)
        if path.exists():  # readers may hold it open: replace it whole
            replace_file(path, data)
        else:  # a new name: readers only open it once the index names it, after this write
            path.write_bytes(data)
        self.sizes[epoch] = len(data)
        self.index["epochs"] = sorted({*self.index["epochs"], epoch})
        self._write_index()

    def _make_room(self, incoming: int) -> bool:
        """Thin the recorded epochs until `incoming` more bytes fit the bound; False if they never can."""
        reserve = 64 * 1024  # the index
        while self.fixed_bytes + sum(self.sizes.values()) + incoming + reserve > self.max_bytes:
            recorded = self.index["epochs"]
            if not recorded:
                return False
            keep = recorded[::2] if len(recorded) > 1 else []  # every other one, the first kept
            self._drop([e for e in recorded if e not in keep])
            # and from now on half as often
            self.every, self.grid, self.share = self.every * 2, self.grid * 2, self.share / 2
        return True

    def _drop(self, epochs: list[int]) -> None:
        self.index["epochs"] = [e for e in self.index["epochs"] if e not in epochs]
        self._write_index()  # the index stops naming them before they go
        for epoch in epochs:
            (self.folder / epoch_file(epoch)).unlink(missing_ok=True)
            self.sizes.pop(epoch, None)

    def _write_index(self) -> None:
        self.index["every"] = self.every
        replace_file(self.folder / INDEX, json.dumps(self.index, separators=(",", ":")).encode("utf-8"))

    # -- start -------------------------------------------------------------------------------
    def _start_fresh(self, trainer: Trainer, probe_size: int) -> None:
        from safetensors.torch import save

        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("epoch_*.safetensors"):  # an earlier run in the same folder
            old.unlink()
        split, x, y = ("val", trainer.data.val_x, trainer.data.val_y)
        if len(x) == 0:
            split, x, y = "train", trainer.data.train_x, trainer.data.train_y
        indices = choose_probe(y.numpy() if y.dtype == torch.int64 else None, len(x), probe_size, trainer.seed)
        chosen = torch.as_tensor(indices, dtype=torch.long)
        source = trainer.val_inputs if split == "val" else trainer.train_inputs
        self.args = {name: t.index_select(0, chosen.to(t.device)) for name, t in source.items()}
        if trainer.plan.noise:  # the same noise at every recorded epoch, apart from training's
            generator = torch.Generator(device=trainer.device).manual_seed(trainer.seed + PROBE_STREAM)
            trainer._add_noise(self.args, len(indices), generator)
        self.args = {name: self.args[name] for name in trainer.eval_args}
        files = {"inputs": x[chosen], "targets": y[chosen]}
        files.update({f"arg/{name}": t.to("cpu") for name, t in self.args.items()})
        data = save({k: v.contiguous() for k, v in files.items()})
        replace_file(self.folder / PROBE, data)
        self.fixed_bytes = len(data)
        self.sizes = {}
        names = list(trainer.data.class_names) or None
        self.index = {
            "format": FORMAT,
            "version": VERSION,
            "probe": {
                "split": split,
                "indices": [int(i) for i in indices],
                "class_names": names,
                "input_shape": list(x.shape[1:]),
            },
            "epochs": [],
            "every": self.every,
            "max_mb": self.max_mb,
            "output": self.capture.output,
            "limits": asdict(self.limits),
            "nodes": [],
        }

    def _resume(self) -> bool:
        """Carry on an earlier recording of this run (after --resume); False to start afresh."""
        from safetensors.torch import load_file

        try:
            self.index = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
            self.args = load_file(str(self.folder / PROBE))
        except (OSError, ValueError):
            return False
        self.args = {k.split("/", 1)[1]: v for k, v in self.args.items() if k.startswith("arg/")}
        self.fixed_bytes = (self.folder / PROBE).stat().st_size
        self.sizes = {}
        for epoch in self.index.get("epochs", []):
            path = self.folder / epoch_file(epoch)
            if path.is_file():
                self.sizes[epoch] = path.stat().st_size
        self.index["epochs"] = sorted(self.sizes)
        if self.every:
            self.every = max(self.every, int(self.index.get("every", self.every)))
        return True


def auto_spacing(
    *, spent: float, cost: float, budget: float, epoch: int, first: int, planned: int, minimum: int
) -> int:
    """The step (in epochs, from `first`) to record at after `epoch`: the smallest, at least `minimum`,
    whose recordings from `epoch` on (the last epoch's included) add up, at `cost` each, to at most
    `budget` with the `spent` so far; `planned - first` (only the last epoch) when none fits."""
    span = planned - first
    for step in range(max(1, minimum), span + 1):
        due = {e for e in range(epoch, planned + 1) if (e - first) % step == 0} | {planned}
        if spent + len(due) * cost <= budget:
            return step
    return max(1, span)


def choose_probe(labels: np.ndarray | None, n: int, size: int, seed: int) -> list[int]:
    """`size` sample indices out of `n`, fixed by the seed; with labels, the classes take turns."""
    size = min(size, n)
    rng = np.random.default_rng([seed, PROBE_STREAM])
    if labels is None:
        return sorted(int(i) for i in rng.choice(n, size=size, replace=False))
    queues = [list(rng.permutation(np.flatnonzero(labels == c))) for c in np.unique(labels)]
    chosen: list[int] = []
    while len(chosen) < size:
        for queue in queues:
            if queue and len(chosen) < size:
                chosen.append(int(queue.pop(0)))
    return chosen


def _capture_for(trainer: Trainer, limits: Limits) -> Capture:
    plan = trainer.plan
    node_types = {n: trainer.graph.nodes[n].type_id for n in plan.analysis.order}
    gradients = [GradientSource(dict(o.weights), list(o.updated)) for o in plan.optimizers]
    output = plan.accuracy[0].prediction if plan.accuracy else None
    softmax = bool(plan.accuracy) and plan.accuracy[0].kind == "argmax"
    return Capture(trainer.modules, trainer.eval_program, node_types, gradients, output, softmax, limits)


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: readers see whole files.

    Unlike engine.fileio's atomic writes this does not fsync: a recording is rewritten every
    epoch and can be made again, and the two fsyncs cost ~25 ms an epoch on this machine, more
    than the recording itself (a power cut may lose the last epochs' files, never tear one).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())  # what open() would give it, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
