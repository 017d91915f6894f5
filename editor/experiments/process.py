"""The sweep as a child process: `python -m engine sweep` on a snapshot of the open graph.

The editor never trains in its own process (STACK_NOTES: a process keeps the UI responsive and
isolates crashes). The snapshot holds the graph as it is on screen, its data paths made absolute
so it reads the same files from the experiment folder; the trials' runs go to the graph's own
runs folder (`--runs`). Stop sends SIGTERM: the sweep stops its trials at the next batch and keeps
every finished one. The panel follows trials.json, which the sweep rewrites as trials change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from engine.fileio import atomic_write_text
from engine.graph import Graph, dumps_graph
from engine.registry import catalog
from engine.sweeps.study import TRIALS_JSON

SNAPSHOT = "graph.json"


def snapshot(graph: Graph) -> Graph:
    """A copy whose relative file paths are absolute (resolved beside the graph's file, as training does)."""
    out = graph.copy()
    registry = catalog()
    for node in out.nodes.values():
        if node.type_id in registry and any(p.kind == "path" for p in registry.get(node.type_id).params):
            node.params = graph.resolved_params(node.id)
    return out


def read_table(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / TRIALS_JSON).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # not written yet (the sweep replaces it whole, so never half-read)
    return doc if isinstance(doc, dict) else None


class SweepProcess(QtCore.QObject):
    """Starts, follows and stops one sweep. `table_changed` carries trials.json each time it changes;
    `finished` the exit code and the last lines the command wrote (its one-line error, if any)."""

    table_changed = QtCore.Signal(dict)
    finished = QtCore.Signal(int, str)
    output = QtCore.Signal(str)

    def __init__(self, parent=None, poll_ms: int = 400):
        super().__init__(parent)
        self.process: QtCore.QProcess | None = None
        self.folder: Path | None = None
        self._stamp: float | None = None
        self._log = ""
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QtCore.QProcess.ProcessState.NotRunning

    def start(
        self,
        graph: Graph,
        name: str,
        folder: Path,
        runs: Path,
        jobs: int | None = None,
        epochs: int | None = None,
        resume: bool = True,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        graph_file = folder / SNAPSHOT
        atomic_write_text(graph_file, dumps_graph(snapshot(graph)))
        args = ["-m", "engine", "sweep", str(graph_file), "--experiment", name, "--out", str(folder)]
        args += ["--runs", str(runs), "--no-progress"]
        if resume:  # a folder with finished trials of this experiment: continue it (the sweep refuses a changed one)
            args.append("--resume")
        if jobs:
            args += ["--jobs", str(jobs)]
        if epochs:
            args += ["--epochs", str(epochs)]
        self.folder, self._stamp, self._log = folder, None, ""
        process = QtCore.QProcess(self)
        process.setProcessChannelMode(QtCore.QProcess.ProcessChannelMode.MergedChannels)
        process.readyReadStandardOutput.connect(self._read_output)
        process.finished.connect(self._on_finished)
        self.process = process
        process.start(sys.executable, args)
        self.timer.start()

    def stop(self) -> None:
        if self.running:
            self.process.terminate()  # SIGTERM: the sweep ends its trials cleanly

    def kill(self) -> None:
        if self.running:
            self.process.kill()
            self.process.waitForFinished(5000)

    def poll(self) -> None:
        if self.folder is None:
            return
        path = self.folder / TRIALS_JSON
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self._stamp:
            return
        table = read_table(self.folder)
        if table is not None:
            self._stamp = stamp
            self.table_changed.emit(table)

    def _read_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        self._log = (self._log + text)[-4000:]
        self.output.emit(text)

    def _on_finished(self, code: int, _status) -> None:
        self.timer.stop()
        self.poll()
        lines = [line for line in self._log.replace("\r", "\n").splitlines() if line.strip()]
        self.finished.emit(int(code), "\n".join(lines[-3:]))
