"""A graph's runs: one folder each in `<graph stem>.runs/` beside the graph file.

Each run folder holds what `python -m engine train` writes: `run.json` (graph, settings,
seed, data fingerprint, versions, status, final metrics), `metrics.jsonl` (one object per
epoch), `weights.safetensors` (the trained parameters, when the run ended cleanly), plus
`batches.jsonl` (one object per logged batch) for the editor's curves. While a run trains,
its process holds a lock on `.netwright.lock` in the folder, so a second run cannot write
into the same folder (the operating system drops the lock when the process dies).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.fileio import FileLock, LockBusy, OutputError, prepare_output_folder, write_failure

RUNS_SUFFIX = ".runs"
RECORD = "run.json"
METRICS = "metrics.jsonl"
BATCHES = "batches.jsonl"
WEIGHTS = "weights.safetensors"
RUN_LOCK = ".netwright.lock"
ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")


def lock_run_folder(folder: str | os.PathLike, what: str = "run folder") -> FileLock:
    """Create `folder` if needed, check it takes files, and lock it for this process's run.

    Raises OutputError (one line) when it is a file, cannot be written, or another run holds it.
    """
    folder = prepare_output_folder(folder, what)
    lock = FileLock(folder / RUN_LOCK)
    try:
        return lock.acquire()
    except LockBusy as busy:
        who = f" (process {busy.owner})" if busy.owner.isdigit() else ""
        raise OutputError(
            f"{what} {folder} is in use by another training run{who}; wait for it to finish or choose another folder"
        ) from None
    except OSError as exc:
        raise OutputError(write_failure(exc, lock.path)) from None


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every complete JSON object in a .jsonl file (a line cut short by a crash is skipped)."""
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        return []
    return rows


def best_metric(history: list[dict[str, Any]]) -> tuple[str | None, float | None]:
    """The headline of a run: best validation accuracy, else lowest validation (or training) loss."""
    for key, pick in (("val_acc", max), ("val_loss", min), ("train_acc", max), ("train_loss", min)):
        values = [row[key] for row in history if isinstance(row.get(key), (int, float)) and math.isfinite(row[key])]
        if values:
            return key, float(pick(values))
    return None, None


@dataclass
class RunInfo:
    """One run as the Runs panel lists it."""

    id: str
    folder: Path
    started: datetime
    status: str  # running, completed, stopped, early_stopped, diverged, failed, interrupted
    epochs_completed: int
    epochs: int
    best_key: str | None
    best_value: float | None
    device: str
    seconds: float | None
    record: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def weights(self) -> Path | None:
        path = self.folder / WEIGHTS
        return path if path.is_file() else None

    def history(self) -> list[dict[str, Any]]:
        return read_jsonl(self.folder / METRICS)

    def batches(self) -> list[dict[str, Any]]:
        return read_jsonl(self.folder / BATCHES)


class RunStore:
    """The runs folder of one graph; created on the first run, never before."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @classmethod
    def beside(cls, graph_path: str | os.PathLike) -> RunStore:
        path = Path(graph_path)
        return cls(path.with_name(path.stem + RUNS_SUFFIX))

    @classmethod
    def named(cls, root: str | os.PathLike, graph_name: str) -> RunStore:
        """For a graph without a file: `root/<name>.runs`, the name made safe for a folder."""
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", graph_name.strip()).strip("._") or "untitled"
        return cls(Path(root) / (slug + RUNS_SUFFIX))

    def new_run(self, now: datetime | None = None) -> Path:
        """Create and return an empty run folder named by its start time (sorts by date)."""
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        while True:
            folder = self.folder / f"{stamp}-{secrets.token_hex(2)}"
            try:
                folder.mkdir(parents=True)
                return folder
            except FileExistsError:
                continue

    def runs(self) -> list[RunInfo]:
        """Every run, newest first; folders that are not runs are ignored."""
        if not self.folder.is_dir():
            return []
        infos = [read_run(p) for p in self.folder.iterdir() if p.is_dir() and ID_PATTERN.match(p.name)]
        return sorted(infos, key=lambda r: r.id, reverse=True)

    def get(self, run_id: str) -> RunInfo:
        folder = self.folder / run_id
        if not ID_PATTERN.match(run_id) or not folder.is_dir():
            raise KeyError(f"no run {run_id!r} in {self.folder}")
        return read_run(folder)

    def latest_weights(self) -> RunInfo | None:
        """The newest run that left trained weights."""
        return next((r for r in self.runs() if r.weights is not None), None)

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self.get(run_id).folder)


def read_run(folder: Path) -> RunInfo:
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            record = {}
    except (OSError, json.JSONDecodeError):
        record = {}
    history = read_jsonl(folder / METRICS)
    key, value = best_metric(history)
    try:
        started = datetime.strptime(folder.name[:15], "%Y%m%d-%H%M%S")
    except ValueError:
        started = datetime.fromtimestamp(folder.stat().st_mtime)
    settings = record.get("settings") or {}
    return RunInfo(
        id=folder.name,
        folder=folder,
        started=started,
        status=str(record.get("status") or ("interrupted" if history else "failed")),
        epochs_completed=len(history),
        epochs=int(settings.get("epochs") or 0),
        best_key=key,
        best_value=value,
        device=str(record.get("device") or ""),
        seconds=record.get("seconds"),
        record=record,
    )
