"""Train from the editor: toolbar actions, progress in the status bar, and the session's events
routed to the plots, insights, runs, canvas badges and dialogs.

The child process trains a *copy* of the graph taken when Train is pressed, so the graph
stays editable during a run: edits apply to the next run and never touch the running one.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from editor.panels.param_widgets import FloatSpinBox
from editor.training.dashboard import TrainingDashboard, write_csv
from editor.training.health import READING_THE_CURVES, badges_from_epoch
from editor.training.insights_view import InsightsPanel
from editor.training.session import TrainingSession
from editor.training.settings_form import set_training_value
from engine.analysis import analyze
from engine.graph.fileformat import graph_to_document
from engine.graph.training import TRAINING_INDEX
from engine.runs import RunStore

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

ALL_OPTIMIZERS = "all optimizers"
FRAME_MS = 100  # progress and insights refresh
BADGE_S = 1.0  # canvas badges refresh (repainting the canvas is the dearest update)


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


class TrainingController(QtCore.QObject):
    run_finished = QtCore.Signal(dict)  # the `finished` message

    def __init__(self, window: MainWindow, session: TrainingSession | None, runs_root: Path):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.owns_session = session is None
        self.session = session or TrainingSession(self)
        self.runs_root = runs_root
        self.dashboard = TrainingDashboard(self.document)
        self.insights = InsightsPanel()
        self.history: list[dict[str, Any]] = []
        self.run: dict[str, Any] = {}
        self.run_dir: Path | None = None
        self.last_error: dict[str, Any] | None = None
        self.current_lr: dict[str, float] = {}
        self._rate = 0.0
        self._edited_during_run = False
        self._shut_down = False
        # Events only update data; a frame timer shows the latest progress, insights and badges,
        # so a flood of short epochs never floods the painter.
        self._pending: dict[str, Any] = {}
        self._last_badges = 0.0
        self._frame = QtCore.QTimer(self)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._apply_pending)
        self._build_actions()
        self._build_toolbar_widgets()
        self._build_status_widgets()
        self.session.message.connect(self._on_message)
        self.session.state_changed.connect(self._on_state)
        self.session.devices_changed.connect(self._fill_devices)
        self.document.changed.connect(self._on_document_changed)
        self.document.loaded.connect(self._on_graph_opened)
        self.document.path_changed.connect(self._on_path_changed)
        self.document.weights_changed.connect(self._update_actions)
        self.dashboard.help_requested.connect(self.show_reading_help)
        self.dashboard.export_csv_requested.connect(self.export_csv_dialog)
        self.dashboard.runs.continue_requested.connect(lambda run: self.start(continue_from=run.weights))
        self._fill_devices(self.session.devices)
        self._on_document_changed()
        self._update_actions()

    # -- widgets ----------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: str | None, tip: str, icon: str) -> QtGui.QAction:
        action = QtGui.QAction(text, self.window)
        action.setIcon(self.window.style().standardIcon(getattr(QtWidgets.QStyle.StandardPixmap, icon)))
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.train_action = self._action(
            "Train", lambda: self.start(), "F5", "Train the graph on the canvas from fresh weights", "SP_MediaPlay"
        )
        self.continue_action = self._action(
            "Continue",
            self.continue_training,
            "Shift+F5",
            "Train again, starting from the weights of the latest run",
            "SP_MediaSeekForward",
        )
        self.pause_action = self._action("Pause", self.pause, "F6", "Pause after the current batch", "SP_MediaPause")
        self.resume_action = self._action(
            "Resume", self.resume, "F7", "Continue the paused run (with the learning rate shown)", "SP_MediaPlay"
        )
        self.stop_action = self._action(
            "Stop", self.stop, "Shift+F6", "Stop the run; its weights are kept", "SP_MediaStop"
        )
        self.actions = [
            self.train_action,
            self.continue_action,
            self.pause_action,
            self.resume_action,
            self.stop_action,
        ]

    def _spin(self, name: str, width: int) -> QtWidgets.QSpinBox:
        param = TRAINING_INDEX[name]
        box = QtWidgets.QSpinBox()
        box.setRange(int(param.minimum), int(min(param.maximum, 2**31 - 1)))
        box.setKeyboardTracking(False)
        box.setGroupSeparatorShown(False)
        box.setFixedWidth(width)
        box.setToolTip(param.description)
        box.valueChanged.connect(lambda v, n=name: self._set_setting(n, int(v)))
        return box

    def _build_toolbar_widgets(self) -> None:
        self.device_box = QtWidgets.QComboBox()
        self.device_box.setToolTip("Where to train (CUDA devices are listed once the training process has started)")
        self.device_box.setMinimumWidth(70)
        self.device_box.currentIndexChanged.connect(self._device_chosen)
        self.epochs_box = self._spin("epochs", 54)
        self.batch_box = self._spin("batch_size", 54)
        self.seed_box = self._spin("seed", 48)
        self.lr_box = FloatSpinBox()
        self.lr_box.setRange(1e-8, 10.0)
        self.lr_box.setFixedWidth(72)
        self.lr_box.setToolTip(
            "Learning rate: change it while paused; it applies on Resume and is marked on the curves"
        )
        self.lr_box.setEnabled(False)
        self.lr_target = QtWidgets.QComboBox()
        self.lr_target.setToolTip("Which optimizer the new learning rate is for")
        self.lr_target.currentIndexChanged.connect(self._show_lr)
        self.lr_target.setVisible(False)

    def add_to_toolbar(self, toolbar: QtWidgets.QToolBar) -> None:
        toolbar.addActions(self.actions)
        toolbar.addSeparator()
        toolbar.widgetForAction(self.train_action).setObjectName("trainButton")

        def labelled(text: str, widget: QtWidgets.QWidget) -> None:
            label = QtWidgets.QLabel(text)
            label.setObjectName("toolbarLabel")
            toolbar.addWidget(label)
            toolbar.addWidget(widget)

        labelled("Device", self.device_box)
        labelled("Epochs", self.epochs_box)
        labelled("Batch", self.batch_box)
        labelled("Seed", self.seed_box)
        toolbar.addSeparator()
        labelled("LR", self.lr_box)
        self.lr_target_action = toolbar.addWidget(self.lr_target)
        self.lr_target_action.setVisible(False)

    def _build_status_widgets(self) -> None:
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setFixedWidth(190)
        self.progress.setFixedHeight(16)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.progress_label = QtWidgets.QLabel()
        self.progress_label.setContentsMargins(6, 0, 10, 0)
        self.progress_label.setMinimumWidth(330)
        self.progress_label.hide()

    def add_to_status_bar(self, status: QtWidgets.QStatusBar) -> None:
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress)

    # -- settings in the toolbar --------------------------------------------------------------------
    def _set_setting(self, name: str, value: int) -> None:
        problem = set_training_value(self.document, name, value)
        if problem:
            self.window.statusBar().showMessage(f"Not applied — {problem}", 6000)
            self._on_document_changed()

    def _device_chosen(self) -> None:
        value = self.device_box.currentData()
        if value:
            self.window.settings.setValue("training/device", value)

    def _fill_devices(self, devices: list) -> None:
        wanted = self.device_box.currentData() or self.window.settings.value("training/device", "auto")
        blocker = QtCore.QSignalBlocker(self.device_box)
        self.device_box.clear()
        for value, label in devices:
            self.device_box.addItem(label, value)
        index = self.device_box.findData(wanted)
        self.device_box.setCurrentIndex(max(0, index))
        del blocker

    @property
    def device(self) -> str:
        return self.device_box.currentData() or "auto"

    def _on_document_changed(self) -> None:
        training = self.document.graph.training
        for name, box in (("epochs", self.epochs_box), ("batch_size", self.batch_box), ("seed", self.seed_box)):
            blocker = QtCore.QSignalBlocker(box)
            box.setValue(int(training.get(name, TRAINING_INDEX[name].default)))
            del blocker
        if self.session.state == "idle":  # show the graph's own learning rate until a run reports one
            rates = [
                n.params["lr"]
                for n in self.document.graph.nodes.values()
                if n.type_id.startswith("optimizers.") and isinstance(n.params.get("lr"), (int, float))
            ]
            if rates:
                blocker = QtCore.QSignalBlocker(self.lr_box)
                self.lr_box.setValue(float(rates[0]))
                del blocker
        if self.session.state != "idle" and not self._edited_during_run:
            self._edited_during_run = True
            self.dashboard.edited.show()
            self.window.statusBar().showMessage(
                "The run trains the graph as it was when you pressed Train; your edits apply to the next run.", 8000
            )

    # -- runs and weights ------------------------------------------------------------------------
    def store(self) -> RunStore:
        """The runs of the open graph (fixed when it was opened or saved, so a rename does not move them)."""
        return self.dashboard.runs.store or self._store_for_document()

    def _store_for_document(self) -> RunStore:
        """Runs live beside the graph file; an unsaved graph (or an example) keeps them in the app's folder."""
        if self.document.path is not None:
            return RunStore.beside(self.document.path)
        return RunStore.named(self.runs_root, self.document.graph.name or "untitled")

    def _on_graph_opened(self) -> None:
        self._attach_latest()

    def _on_path_changed(self) -> None:
        if self.session.state == "idle":
            self.dashboard.runs.set_store(self._store_for_document())

    def _attach_latest(self) -> None:
        store = self._store_for_document()
        self.dashboard.runs.set_store(store)
        latest = store.latest_weights()
        self.document.attach_weights(latest.weights if latest else None)

    # -- control ----------------------------------------------------------------------------------
    def start(self, continue_from: Path | None = None) -> bool:
        """Train a copy of the graph in the child process; False (with a message) if it cannot start."""
        if self.session.state != "idle":
            return False
        graph = self.document.graph.copy()
        errors = analyze(graph).errors
        if errors:
            more = f"\n\n(and {len(errors) - 1} more in the Problems panel)" if len(errors) > 1 else ""
            QtWidgets.QMessageBox.warning(self.window, "Cannot train yet", f"{errors[0]}{more}")
            if errors[0].node_id:
                self.window.canvas.select([errors[0].node_id], centre=True)
            return False
        store = self.store()
        self.run_dir = store.new_run()
        job = {
            "graph": graph_to_document(graph),
            "settings": {"device": self.device},
            "run_dir": str(self.run_dir),
            "graph_file": str(self.document.path) if self.document.path else None,
            "init_weights": str(continue_from) if continue_from else None,
        }
        self.history = []
        self.run = {}
        self.last_error = None
        self._rate = 0.0
        self._edited_during_run = False
        self.dashboard.edited.hide()
        self.dashboard.plots.reset({})
        self.insights.reset({"accuracy": True})
        self.window.canvas.show_health({})
        how = "from the latest weights" if continue_from else "from fresh weights"
        self.dashboard.title.setText(f"<b>Starting…</b> <span style='color:#8a90a0'>{how}</span>")
        self.dashboard.runs.active_run = self.run_dir.name
        self.dashboard.runs.set_store(store)  # lists the new run as running
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting")
        self.progress.show()
        self.progress_label.setText("Starting the training process…" if not self.session.ready else "Preparing…")
        self.progress_label.show()
        self.session.start(job)
        self.window.show_training_panel()
        return True

    def continue_training(self) -> bool:
        if self.document.trained_weights is None or not self.document.trained_weights.is_file():
            self.window.statusBar().showMessage("No trained weights yet: press Train first.", 5000)
            return False
        return self.start(continue_from=self.document.trained_weights)

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        lr, target = None, None
        if self.lr_box.isEnabled():
            target = self.lr_target.currentData() if self.lr_target.count() > 1 else None
            shown = self.current_lr.get(target or next(iter(self.current_lr), ""), None)
            value = float(self.lr_box.value())
            if shown is None or not math.isclose(value, shown, rel_tol=1e-9):
                lr = value
        self.session.resume(lr, target)

    def stop(self) -> None:
        self.session.stop()

    def _on_state(self, state: str) -> None:
        self._update_actions()
        if state == "paused":
            self._apply_pending(final=True)
            self.progress_label.setText(self.progress_label.text().split("  ·  ")[0] + "  ·  paused")
            self.window.statusBar().showMessage("Paused. Change the learning rate if you like, then Resume.", 6000)
        elif state == "stopping":
            self.progress_label.setText("Stopping after this batch…")

    def _update_actions(self) -> None:
        state = self.session.state
        idle = state == "idle"
        self.train_action.setEnabled(idle)
        self.continue_action.setEnabled(idle and self.document.trained_weights is not None)
        self.pause_action.setEnabled(state in ("starting", "running"))
        self.resume_action.setEnabled(state == "paused")
        self.stop_action.setEnabled(state in ("starting", "running", "paused"))
        self.lr_box.setEnabled(state == "paused")
        self.lr_target.setEnabled(state == "paused")
        self.device_box.setEnabled(idle)

    # -- events from the child ---------------------------------------------------------------------
    def _on_message(self, kind: str, data: Any) -> None:
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(data)

    def _on_started(self, run: dict[str, Any]) -> None:
        self.run = run
        self.dashboard.plots.reset(run)
        self.dashboard.plots.start_redrawing()
        self._pending = {}
        self._frame.start()
        self.insights.reset(run)
        self.current_lr = {o["id"]: o["lr"] for o in run["optimizers"]}
        blocker = QtCore.QSignalBlocker(self.lr_target)
        self.lr_target.clear()
        if len(self.current_lr) > 1:
            self.lr_target.addItem(ALL_OPTIMIZERS, None)
        for optimizer in self.current_lr:
            self.lr_target.addItem(optimizer, optimizer)
        del blocker
        self.lr_target_action.setVisible(len(self.current_lr) > 1)
        self._show_lr()
        self.progress.setRange(0, max(1, run["epochs"] * run["batches_per_epoch"]))
        self.progress.setValue(run["start_epoch"] * run["batches_per_epoch"])
        self.progress.setFormat(f"epoch 1/{run['epochs']}")
        name = self.document.graph.name or "graph"
        self.dashboard.title.setText(
            f"<b>{name}</b> <span style='color:#8a90a0'>· {run['num_train']:,} training / {run['num_val']:,} "
            f"validation samples · batch {run['batch_size']} · {run['device']}</span>"
        )

    def _show_lr(self) -> None:
        target = self.lr_target.currentData() if self.lr_target.count() > 1 else None
        key = target or next(iter(self.current_lr), None)
        if key in self.current_lr:
            blocker = QtCore.QSignalBlocker(self.lr_box)
            self.lr_box.setValue(self.current_lr[key])
            del blocker

    def _on_rows(self, rows: list[dict[str, Any]]) -> None:
        self.dashboard.plots.add_rows(rows)
        last = rows[-1]
        ids = list(self.current_lr)
        for optimizer in ids:
            key = "lr" if len(ids) == 1 else f"lr_{optimizer}"
            if key in last:
                self.current_lr[optimizer] = last[key]
        if not self.lr_box.isEnabled() and self.current_lr.get(ids[0] if ids else "") != self.lr_box.value():
            self._show_lr()

    def _on_progress(self, p: dict[str, Any]) -> None:
        self._pending["progress"] = p

    def _apply_pending(self, final: bool = False) -> None:
        pending, self._pending = self._pending, {}
        if "progress" in pending:
            self._show_progress(pending["progress"])
        if "insights" in pending:
            self.insights.show_insights(pending["insights"])
        if "badges" in pending:
            now = time.monotonic()
            if final or now - self._last_badges >= BADGE_S:
                self._last_badges = now
                badges = badges_from_epoch(pending["badges"])
                self.window.canvas.show_health({k: (text, rgb) for k, (text, rgb, _) in badges.items()})
            else:
                self._pending["badges"] = pending["badges"]

    def _show_progress(self, p: dict[str, Any]) -> None:
        per_epoch = p["batches_per_epoch"]
        done = (p["epoch"] - 1) * per_epoch + p["index"] + 1
        if p["samples_per_s"] > 0:
            self._rate = p["samples_per_s"] if not self._rate else 0.8 * self._rate + 0.2 * p["samples_per_s"]
        self.progress.setValue(done)
        self.progress.setFormat(f"epoch {p['epoch']}/{p['epochs']}")
        batch_size = max(1, self.run.get("batch_size", 1))
        remaining = p["epochs"] * per_epoch - done
        left = remaining * batch_size / self._rate if self._rate > 0 else math.inf
        text = f"batch {p['index'] + 1}/{per_epoch}  ·  {self._rate:,.0f} samples/s  ·  {format_duration(left)} left"
        if self.session.state == "paused":
            text += "  ·  paused"
        self.progress_label.setText(text)

    def _on_epoch(self, row: dict[str, Any]) -> None:
        self.history.append(row)
        self.dashboard.plots.add_epoch(row)
        self._pending["badges"] = row

    def _on_insights(self, data: dict[str, Any]) -> None:
        self._pending["insights"] = data

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "lr_changed":
            self.dashboard.plots.mark_lr_change(event)
            self.current_lr[event["optimizer"]] = event["to"]
            self.window.statusBar().showMessage(
                f"Learning rate of {event['optimizer']}: {event['from']:.3g} → {event['to']:.3g}", 5000
            )
        elif kind == "early_stopped":
            self.window.statusBar().showMessage(
                f"Early stopping at epoch {event['epoch']}: {self.run.get('monitor', 'the metric')} stopped improving",
                8000,
            )

    def _on_finished(self, data: dict[str, Any]) -> None:
        self._frame.stop()
        self._apply_pending(final=True)
        plots = self.dashboard.plots
        plots.stop_redrawing()
        self.progress.hide()
        status = data["status"]
        self.dashboard.runs.active_run = None
        if data.get("weights"):
            self.document.attach_weights(Path(data["weights"]))
        if self.document.path is not None and self.dashboard.runs.store != self._store_for_document():
            self.dashboard.runs.set_store(self._store_for_document())  # saved under a new name meanwhile
        else:
            self.dashboard.runs.refresh()
        self._update_actions()
        summary = self._summary()
        self.progress_label.setText(f"Last run: {status.replace('_', ' ')}{summary}")
        self.progress_label.setVisible(True)
        error = data.get("error")
        if error:
            self.last_error = error
            self._show_error(error)
        else:
            self.window.statusBar().showMessage(f"Run {status.replace('_', ' ')}{summary}", 8000)
        self.run_finished.emit(data)

    def _summary(self) -> str:
        if not self.history:
            return ""
        last = self.history[-1]
        parts = [f"{len(self.history)} epochs"]
        if "val_acc" in last:
            parts.append(f"validation accuracy {last['val_acc']:.1%}")
        elif "val_loss" in last:
            parts.append(f"validation loss {last['val_loss']:.4g}")
        return " — " + ", ".join(parts)

    def _show_error(self, error: dict[str, Any]) -> None:
        node_id = error.get("node_id")
        if node_id and node_id in self.document.graph.nodes:
            self.window.canvas.select([node_id], centre=True)
            self.window.canvas.show_health(
                {node_id: ("NaN" if error["kind"] == "diverged" else "error", (235, 72, 72))}
            )
        text = f"{error['message']}\n\n{error['suggestion']}"
        if node_id:
            text += f"\n\nThe node `{node_id}` is selected on the canvas. Your graph is unchanged."
        QtWidgets.QMessageBox.critical(self.window, error["title"], text)

    # -- export, help, lifetime --------------------------------------------------------------------
    def export_csv(self, path: str) -> None:
        write_csv(path, self.history)

    def export_csv_dialog(self) -> None:
        if not self.history:
            self.window.statusBar().showMessage("No metrics yet: train first.", 4000)
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Export metrics", "metrics.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")

    def show_reading_help(self) -> None:
        self.window.help.setHtml(READING_THE_CURVES)
        self.window.help_dock.show()
        self.window.help_dock.raise_()

    def prewarm(self) -> None:
        self.session.prewarm()

    def shutdown(self) -> None:
        """Stop a run (its results are saved as stopped) and end the process if this window owns it."""
        if self._shut_down:
            return
        self._shut_down = True
        self.dashboard.plots.stop_redrawing()
        self._frame.stop()
        if self.owns_session:
            self.session.close()
            return
        if self.session.state != "idle":  # a shared session outlives this window: end our run, let go
            self.session.stop()
            self.session.wait_idle(15)
        for signal, slot in (
            (self.session.message, self._on_message),
            (self.session.state_changed, self._on_state),
            (self.session.devices_changed, self._fill_devices),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
