"""Experiments: hyperparameter sweeps of the open graph, run by the engine in a child process.

`install_experiments(window)` adds the Experiments dock beside Training, connects the "sweep"
buttons of the properties form to it, and starts and stops the sweep; the window adds that call
and the dock's entry in the View menu.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from editor.experiments import definition
from editor.experiments.panel import ExperimentsPanel
from editor.experiments.process import SweepProcess, read_table
from engine.sweeps import SweepSpecError, experiment_folder
from engine.sweeps.experiment import read_definition

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow


class ExperimentsController(QtCore.QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.panel = ExperimentsPanel(self.document, lambda: window.training.store())
        self.dock = window._dock("Experiments", self.panel, "experiments")
        window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.training_dock, self.dock)
        self.process = SweepProcess(self)
        self.process.table_changed.connect(self._on_table)
        self.process.finished.connect(self._on_finished)
        self.panel.start_requested.connect(self.start)
        self.panel.stop_requested.connect(self.stop)
        self.panel.show_runs_requested.connect(self.show_in_runs)
        window.properties.sweep_requested.connect(self.sweep_node_param)
        self.document.loaded.connect(self.show_saved)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.show_saved()

    def folder(self) -> Path:
        """`<graph>.experiments/<name>` beside the graph file; for a graph without one, in the app's folder."""
        doc = definition.experiment_doc(self.document.graph) or {"name": definition.DEFAULT_NAME}
        name = str(doc.get("name") or definition.DEFAULT_NAME)
        if self.document.path is not None:
            return experiment_folder(self.document.path, name)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.document.graph.name.strip()).strip("._") or "untitled"
        return Path(self.window.files.runs_root).parent / "experiments" / slug / name

    def sweep_node_param(self, node_id: str, name: str) -> None:
        self.dock.show()
        self.dock.raise_()
        self.panel.add_target(f"{node_id}.{name}")

    def start(self) -> bool:
        graph = self.document.graph
        try:
            experiment = definition.checked_experiment(graph)
        except SweepSpecError as exc:
            self.panel.show_message(str(exc))
            return False
        folder = self.folder()
        moved = _set_aside_if_changed(folder, experiment.to_dict())
        self.panel.show_message("")
        self.panel.set_table({})
        runs = self.window.training.store().folder
        self.process.start(
            graph, experiment.name, folder, runs, self.panel.jobs.value() or None, self.panel.epochs.value() or None
        )
        self.panel.set_running(True)
        self.dock.show()
        self.dock.raise_()
        note = f" (the previous definition's trials were moved to {moved.name})" if moved else ""
        self.panel.set_status(f"Running {experiment.planned_trials()} trials ({experiment.strategy}){note}…")
        return True

    def stop(self) -> None:
        self.process.stop()
        self.panel.set_status("Stopping: the running trials end at their next batch…")

    def shutdown(self) -> None:
        if self.process.running:
            self.process.stop()
            if not self.process.process.waitForFinished(15000):
                self.process.kill()

    def _on_table(self, table: dict) -> None:
        self.panel.set_table(table)
        rows = table.get("trials") or []
        done = sum(r["state"] in ("complete", "pruned", "failed") for r in rows)
        running = sum(r["state"] == "running" for r in rows)
        if self.process.running:
            self.panel.set_status(f"{done} of {table.get('planned', '?')} trials done, {running} running…")
        self.window.training.dashboard.runs.refresh()

    def _on_finished(self, code: int, tail: str) -> None:
        self.panel.set_running(False)
        table = read_table(self.process.folder) if self.process.folder else None
        if table is not None:
            self.panel.set_table(table)
        if code == 2:  # the command refused the experiment: its one line says why
            self.panel.show_message(tail.splitlines()[-1].removeprefix("error: ") if tail else "refused")
            self.panel.set_status("")
            return
        rows = (table or {}).get("trials") or []
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trials"
        verb = "Stopped" if (table or {}).get("status") == "stopped" else "Finished"
        self.panel.set_status(f"{verb}: {summary}. Folder: {self.process.folder}")
        self.window.training.dashboard.runs.refresh()

    def show_saved(self) -> None:
        """The open graph's experiment table from its folder, if it ran before."""
        if self.process.running:
            return
        table = read_table(self.folder())
        self.panel.set_table(table or {})
        self.panel.set_status(f"Last sweep: {table.get('status')}" if table else "")

    def show_in_runs(self, run_ids: list[str]) -> None:
        runs = self.window.training.dashboard.runs
        runs.refresh()
        runs.set_checked(run_ids)
        self.window.training_dock.show()
        self.window.training_dock.raise_()


def _set_aside_if_changed(folder: Path, experiment: dict) -> Path | None:
    """A folder holding another definition's study is moved aside (kept, renamed) so the new one starts fresh."""
    saved = read_definition(folder)
    if saved is None:
        return None
    keys = ("strategy", "params", "metric", "prune")
    old = saved.get("experiment") or {}
    if {k: old.get(k) for k in keys} == {k: experiment.get(k) for k in keys}:
        return None
    aside = folder.with_name(f"{folder.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    shutil.move(str(folder), str(aside))
    return aside


def install_experiments(window: MainWindow) -> ExperimentsController:
    return ExperimentsController(window)
