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

from editor.panels.param_widgets import FloatSpinBox, IntSpinBox, mark_refused
from editor.richtext import plain, rich
from editor.training.dashboard import TrainingDashboard, write_csv
from editor.training.gc_pause import hold_old_objects, release_old_objects
from editor.training.health import READING_THE_CURVES, badges_from_epoch
from editor.training.insights_view import InsightsPanel
from editor.training.pacing import ThroughputWatch
from editor.training.readiness import Readiness, training_readiness
from editor.training.replay import lr_changes, run_layout
from editor.training.session import TrainingSession
from editor.training.settings_form import set_training_value
from editor.training.step_view import STEP_TIP, StepMode
from engine.analysis import analyze
from engine.graph.fileformat import graph_to_document
from engine.graph.training import TRAINING_INDEX
from engine.registry import ParamError
from engine.runs import RunStore
from engine.runs.store import RunInfo

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

ALL_OPTIMIZERS = "all optimizers"
FRAME_MS = 100  # progress and insights refresh
BADGE_S = 1.0  # canvas badges refresh (repainting the canvas is the dearest update)
DOCTOR_S = 0.5  # the training doctor re-reads the run at most this often while it trains (it reads every epoch)
COARSE_SLOWER = 4  # while the plots have backed off (a busy machine), insights and the doctor refresh this much less
KEPT_INSIGHTS = 20  # runs whose last insights stay in memory


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


TRAIN_TIP = "Train the graph on the canvas from fresh weights"
CONTINUE_TIP = "Train again, starting from the weights of the latest run"
NO_RUN_TITLE = "No run yet — press <b>Train</b> (F5) to train the graph on the canvas."


class TrainingController(QtCore.QObject):
    run_finished = QtCore.Signal(dict)  # the `finished` message
    status_changed = QtCore.Signal()  # what `status_text` says has changed (state, epoch)
    fix_requested = QtCore.Signal(object)  # a Problem whose quick fix the user chose in the Train dialog

    def __init__(self, window: MainWindow, session: TrainingSession | None, runs_root: Path):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.owns_session = session is None
        self.session = session or TrainingSession(self)
        self.runs_root = runs_root
        self.dashboard = TrainingDashboard(self.document)
        self.insights = InsightsPanel()
        self.step_mode = StepMode(window, self.dashboard)  # Step: one batch, backpropagation on the canvas
        self.history: list[dict[str, Any]] = []
        self.run: dict[str, Any] = {}
        self.run_dir: Path | None = None
        self.last_error: dict[str, Any] | None = None
        self.current_lr: dict[str, float] = {}
        self.readiness: Readiness = training_readiness(self.document.graph, analyze(self.document.graph))
        self.epoch_shown: tuple[int, int] | None = None  # (epoch, epochs) of the run going on
        self._foreign_run: str | None = None  # a run of a graph that is no longer open: its events are not ours
        self.cannot_train_box: QtWidgets.QMessageBox | None = None
        # the last insights of each run seen training in this session (runs do not save them), so a
        # graph opened again shows its last run's samples
        self._kept_insights: dict[Path, dict[str, Any]] = {}
        self._writing_back = False  # the learning rate chosen while paused goes into the graph: not a user edit
        self._rate = 0.0
        self._edited_during_run = False
        self._shut_down = False
        # Events only update data; a frame timer shows the latest progress, insights and badges,
        # so a flood of short epochs never floods the painter.
        self._pending: dict[str, Any] = {}
        self._last_badges = 0.0
        self._last_shown: dict[str, float] = {}  # when insights and the doctor were last refreshed (monotonic)
        self.throughput = ThroughputWatch()  # the child slowed well below its best: the plots back off
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
        self.train_action = self._action("Train", lambda: self.start(), "F5", TRAIN_TIP, "SP_MediaPlay")
        self.continue_action = self._action(
            "Continue", self.continue_training, "Shift+F5", CONTINUE_TIP, "SP_MediaSeekForward"
        )
        self.pause_action = self._action("Pause", self.pause, "F6", "Pause after the current batch", "SP_MediaPause")
        self.resume_action = self._action(
            "Resume", self.resume, "F7", "Continue the paused run (with the learning rate shown)", "SP_MediaPlay"
        )
        self.stop_action = self._action(
            "Stop", self.stop, "Shift+F6", "Stop the run; its weights are kept", "SP_MediaStop"
        )
        self.step_action = self._action("Step", lambda: self.step_mode.step(), "F8", STEP_TIP, "SP_ArrowForward")
        self.actions = [
            self.train_action,
            self.continue_action,
            self.pause_action,
            self.resume_action,
            self.stop_action,
            self.step_action,
        ]

    def _spin(self, name: str, width: int) -> QtWidgets.QSpinBox:
        param = TRAINING_INDEX[name]
        box = IntSpinBox()
        box.setRange(int(param.minimum), int(min(param.maximum, 2**31 - 1)))
        box.setKeyboardTracking(False)
        box.setGroupSeparatorShown(False)
        box.setFixedWidth(width)
        box.setToolTip(param.description)
        box.valueChanged.connect(lambda v, n=name: self._set_setting(n, int(v)))
        box.out_of_range.connect(
            lambda text, n=name: self._set_setting(n, text=text), QtCore.Qt.ConnectionType.QueuedConnection
        )
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
        self.lr_box.setKeyboardTracking(False)  # 1000 typed is one value, not 1, 10 (applied), 100, 1000
        self.lr_box.setSpecialValueText("—")  # the minimum stands for "no optimizer in this graph"
        self.lr_box.setFixedWidth(72)
        self.lr_box.setToolTip(
            "Learning rate: change it while paused; on Resume it applies to the run from the next batch, is "
            "marked on the curves and is set on the optimizer node (undoable), so the next run starts with it"
        )
        self.lr_box.setEnabled(False)
        self.lr_box.valueChanged.connect(lambda _v: mark_refused(self.lr_box, ""))
        self.lr_box.out_of_range.connect(self._lr_refused, QtCore.Qt.ConnectionType.QueuedConnection)
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
    def _set_setting(self, name: str, value: int | None = None, text: str | None = None) -> None:
        """A toolbar setting typed or stepped: applied undoably, or refused with the reason at the field."""
        box = {"epochs": self.epochs_box, "batch_size": self.batch_box, "seed": self.seed_box}[name]
        problem = set_training_value(self.document, name, value, text)
        mark_refused(box, f"Not applied: {problem}" if problem else "")
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
            box.setValue(_shown_setting(training, name))
            del blocker
        if self.session.state == "idle" or self._foreign_run:  # the graph's own learning rate until a run reports one
            rates = [
                n.params["lr"]
                for n in self.document.graph.nodes.values()
                if n.type_id.startswith("optimizers.") and isinstance(n.params.get("lr"), (int, float))
            ]
            blocker = QtCore.QSignalBlocker(self.lr_box)
            self.lr_box.setValue(float(rates[0]) if rates else self.lr_box.minimum())
            del blocker
        if self.session.state != "idle" and not (self._edited_during_run or self._foreign_run or self._writing_back):
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
        """Another graph is open: nothing of the previous one stays on screen; its own latest run, if any, shows."""
        if self.session.state != "idle" and self.run_dir is not None:
            # the run trains the previous graph: stop it (its results stay in that graph's runs) and stop listening
            self._foreign_run = self.run_dir.name
            self.session.stop()
            self._frame.stop()
            self.dashboard.plots.stop_redrawing()
            self.dashboard.doctor.hold_height(False)
            self.dashboard.hold_header(False)
            release_old_objects()
            self.window.statusBar().showMessage(
                "The run of the previous graph was stopped; its results are kept in that graph's Runs.", 8000
            )
        self._attach_latest()
        self.show_run(self._latest_run())
        self._update_actions()
        self.status_changed.emit()

    def _latest_run(self) -> RunInfo | None:
        return next((r for r in self.dashboard.runs.store.runs() if r.status != "running"), None)

    def show_run(self, info: RunInfo | None) -> None:
        """Show a finished run's curves, outcome and badges, or an empty panel (None)."""
        history = info.history() if info is not None else []
        run = run_layout(info, history) if info is not None else {}
        self.history, self.run, self.last_error, self.run_dir = history, run, None, None
        self.epoch_shown, self._pending, self._rate = None, {}, 0.0
        self.current_lr = {o["id"]: o["lr"] for o in run.get("optimizers", [])}
        self._edited_during_run = False
        self.dashboard.edited.hide()
        self.dashboard.runs.active_run = None
        blocker = QtCore.QSignalBlocker(self.lr_target)
        self.lr_target.clear()
        del blocker
        self.lr_target_action.setVisible(False)
        self._on_document_changed()
        plots = self.dashboard.plots
        plots.reset(run)
        if history:
            batches = info.batches()
            for start in range(0, len(batches), 5000):
                plots.add_rows(batches[start : start + 5000])
            for row in history:
                plots.add_epoch(row)
            for change in lr_changes(history):
                plots.mark_lr_change(change)
            plots.redraw()
        self.insights.show_idle(run, self._kept_insights.get(info.folder) if info is not None else None)
        self._diagnose("training diverged" if info and info.status == "diverged" else None)
        self.progress.hide()
        badges = badges_from_epoch(history[-1]) if history else {}
        self.window.canvas.show_health({k: (text, rgb) for k, (text, rgb, _) in badges.items()})
        if info is None:
            self.dashboard.title.setText(NO_RUN_TITLE)
            self.progress_label.setText("")
            self.progress_label.hide()
            return
        status = info.status.replace("_", " ")
        when = info.started.strftime("%d %b %H:%M")
        self.dashboard.title.setText(
            f"<b>Latest run</b> <span style='color:#8a90a0'>· {status} · {when} · {info.device or 'cpu'}</span>"
        )
        self.progress_label.setText(f"Last run: {status}{self._summary()}")
        self.progress_label.show()

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
        analysis = analyze(graph)
        readiness = self.refresh_readiness(analysis)
        if not readiness.can_train:
            self.explain_cannot_train(analysis.errors, readiness)
            return False
        store = self.store()
        self.run_dir = store.new_run()
        job = {
            "graph": graph_to_document(graph),
            "settings": {"device": self.device},
            "run_dir": str(self.run_dir),
            "graph_file": str(self.document.path) if self.document.path else None,
            # Relative data paths are read from the folder the analysis read them from.
            "base_dir": str(graph.base_dir) if graph.base_dir else None,
            "init_weights": str(continue_from) if continue_from else None,
        }
        self.history = []
        self.run = {}
        self.last_error = None
        self._rate = 0.0
        self._edited_during_run = False
        self.dashboard.edited.hide()
        self.dashboard.plots.reset({})
        self.step_mode.leave()
        # the card keeps the last run's height while it waits for this run's first reading (which then
        # fits it, instead of growing it and re-laying every plot as the run gets going)
        self.dashboard.doctor.hold_height(True)
        self._diagnose()
        self.insights.reset({"accuracy": True})
        self.window.canvas.show_health({})
        how = "from the latest weights" if continue_from else "from fresh weights"
        self.dashboard.hold_header(True)  # the run's title may wrap differently: it must not re-lay the plots mid-run
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

    def explain_cannot_train(self, errors: list, readiness: Readiness) -> QtWidgets.QMessageBox | None:
        """Say why the graph cannot train; offer the problems' quick fixes as buttons.

        Without a fix to offer this is a plain warning. With one, the dialog is window-modal but
        does not block (`open`): a fix button applies that fix, Close leaves things as they are.
        """
        first = next((p for p in [*errors, *readiness.fixes] if p.node_id), None)
        if first is not None:
            self.window.canvas.select([first.node_id], centre=True)
        fixable = list(readiness.fixes[:3])  # those of the errors, or of the warnings that stop the plan
        more = len(errors) - 1
        text = rich(
            (readiness.reason if not errors else errors[0].message)
            + (f"\n\n(and {more} more in the Problems panel)" if more > 0 else "")
        )
        if not fixable:
            QtWidgets.QMessageBox.warning(self.window, "Cannot train yet", text)
            return None
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Cannot train yet", text, parent=self.window)
        box.setObjectName("cannotTrainDialog")
        box.setInformativeText("A quick fix can repair this:" if len(fixable) == 1 else "Quick fixes can repair these:")
        for problem in fixable:
            button = box.addButton(problem.fix.describe(), QtWidgets.QMessageBox.ButtonRole.AcceptRole)
            button.setToolTip(plain(problem.message))
            button.clicked.connect(lambda _checked=False, p=problem: self.fix_requested.emit(p))
        box.addButton(QtWidgets.QMessageBox.StandardButton.Close)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.cannot_train_box = box
        return box

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
        if lr is not None:
            self._write_back_lr(lr, [target] if target else list(self.current_lr))

    def _lr_refused(self, text: str) -> None:
        low, high = self.lr_box.minimum(), self.lr_box.maximum()
        mark_refused(self.lr_box, f"Not applied: a learning rate must be between {low:g} and {high:g}, received {text}")
        self.window.statusBar().showMessage(
            f"Learning rate {text} not applied: it must be between {low:g} and {high:g}", 6000
        )

    def _write_back_lr(self, lr: float, optimizers: list[str]) -> None:
        """A learning rate chosen while paused is the one the user wants: keep it in the graph too,
        as one undoable edit (the running copy has it already; undo changes only the graph)."""
        graph = self.document.graph
        owners = [o for o in optimizers if o in graph.nodes and "lr" in graph.nodes[o].params]
        changed = [o for o in owners if graph.nodes[o].params["lr"] != lr]
        if not changed:
            return

        def set_lr(g) -> None:
            for node_id in changed:
                g.nodes[node_id].params["lr"] = lr

        self._writing_back = True
        try:
            self.document.edit(f"Set lr of {', '.join(changed)} to {lr:g} (changed while paused)", set_lr)
        finally:
            self._writing_back = False
        self.window.statusBar().showMessage(
            f"Learning rate {lr:g} applies to this run from the next batch and is now set on "
            f"{', '.join(changed)} (Ctrl+Z undoes that in the graph)",
            8000,
        )

    def stop(self) -> None:
        self.session.stop()

    def _on_state(self, state: str) -> None:
        self._update_actions()
        self.status_changed.emit()
        if self._foreign_run:
            return
        if state == "paused":
            self._apply_pending(final=True)
            self.progress_label.setText(self.progress_label.text().split("  ·  ")[0] + "  ·  paused")
            self.window.statusBar().showMessage("Paused. Change the learning rate if you like, then Resume.", 6000)
        elif state == "stopping":
            self.progress_label.setText("Stopping after this batch…")

    def set_readiness(self, readiness: Readiness) -> None:
        """What the latest analysis says about training this graph (the window computes it)."""
        self.readiness = readiness
        self._update_actions()

    def refresh_readiness(self, analysis=None) -> Readiness:
        graph = self.document.graph
        self.set_readiness(training_readiness(graph, analysis if analysis is not None else analyze(graph)))
        return self.readiness

    def status_text(self) -> str | None:
        """The run's state in a few words for the status bar, or None when no run is going on."""
        state = self.session.state
        if state == "idle" or self._foreign_run:
            return None
        if state == "starting":
            return "Training: starting…"
        if state == "stopping":
            return "Training: stopping…"
        where = f"epoch {self.epoch_shown[0]}/{self.epoch_shown[1]}" if self.epoch_shown else "first epoch"
        return f"Paused at {where}" if state == "paused" else f"Training: {where}"

    def _update_actions(self) -> None:
        state = self.session.state
        idle = state == "idle"
        # a graph that cannot train disables Train, unless quick fixes can repair it: then Train opens
        # the dialog that offers them
        usable = self.readiness.train_enabled
        self.train_action.setEnabled(idle and usable)
        self.continue_action.setEnabled(idle and usable and self.document.trained_weights is not None)
        why = self.readiness.train_tip
        for action, tip, key in (
            (self.train_action, TRAIN_TIP, "F5"),
            (self.continue_action, CONTINUE_TIP, "Shift+F5"),
        ):
            action.setToolTip(f"{why} ({key})" if why and self.readiness.fixes else why or f"{tip} ({key})")
            action.setStatusTip(why or tip)
        self.pause_action.setEnabled(state in ("starting", "running"))
        self.resume_action.setEnabled(state == "paused")
        self.stop_action.setEnabled(state in ("starting", "running", "paused"))
        self.step_action.setEnabled(idle and self.readiness.can_train)
        # a focused widget that gets disabled passes focus down the tab chain (the palette filter, the
        # Id field): hand it to the canvas instead, where the user's keys mean something
        focused = QtWidgets.QApplication.focusWidget()
        for widget, enabled in (
            (self.lr_box, state == "paused"),
            (self.lr_target, state == "paused"),
            (self.device_box, idle),
        ):
            if not enabled and focused is not None and (focused is widget or widget.isAncestorOf(focused)):
                self.window.canvas.viewer.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
            widget.setEnabled(enabled)

    # -- events from the child ---------------------------------------------------------------------
    def _on_message(self, kind: str, data: Any) -> None:
        if self._foreign_run:  # the run of a graph closed meanwhile: only its end matters, to free Train
            if kind == "finished":
                self._foreign_run = None
                self._update_actions()
                self.status_changed.emit()
            return
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(data)

    def _on_started(self, run: dict[str, Any]) -> None:
        self.run = run
        with self.dashboard.plots.one_title_layout():
            self.dashboard.plots.reset(run)
            self.dashboard.plots.prepare_curves(run)
        self.dashboard.plots.start_redrawing()
        self.dashboard.doctor.hold_height(True)  # a card growing and shrinking each epoch would re-lay every plot
        hold_old_objects()  # garbage collection scans only what the run makes (see gc_pause)
        self.throughput.reset()
        self._pending = {}
        # The doctor's first reading and the canvas badges wait DOCTOR_S / BADGE_S into the run: a
        # first epoch says little, and showing it grew the card by a line (re-laying and repainting
        # all five plots) and repainted the canvas in the first tenth of a second, as much work as
        # the rest of a half-second run. A short run shows both when it ends; nothing is skipped.
        now = time.monotonic()
        self._last_shown = {"diagnose": now}
        self._last_badges = now
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
        now = time.monotonic()
        if "progress" in pending:
            self._show_progress(pending["progress"])
        # a busy machine: the plots backed off a long way; what else is shown refreshes less often too
        slower = COARSE_SLOWER if self.dashboard.plots.coarse else 1
        for key, every, show in (
            ("insights", FRAME_MS / 1000, lambda data: self.insights.show_insights(data)),
            ("diagnose", DOCTOR_S, lambda _data: self._diagnose()),
        ):
            if key not in pending:
                continue
            if final or now - self._last_shown.get(key, -math.inf) >= every * slower:
                self._last_shown[key] = now
                show(pending[key])
            else:
                self._pending[key] = pending[key]
        self.dashboard.show_pace_note(self.dashboard.plots.pace_note() if not final else "")
        if "badges" in pending:
            if final or now - self._last_badges >= BADGE_S * slower:
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
        self.dashboard.plots.pacer.starved = self.throughput.report(p["samples_per_s"])
        set_progress_later(self.progress, done)
        self.progress.setFormat(f"epoch {p['epoch']}/{p['epochs']}")
        if self.epoch_shown != (p["epoch"], p["epochs"]):
            self.epoch_shown = (p["epoch"], p["epochs"])
            self.status_changed.emit()
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
        if self._frame.isActive():  # live: the doctor reads the run on the frame timer, at most every DOCTOR_S
            self._pending["diagnose"] = True
        else:
            self._diagnose()
        self._pending["badges"] = row

    def _on_insights(self, data: dict[str, Any]) -> None:
        self._pending["insights"] = data
        if self.run_dir is not None:
            self._kept_insights.pop(self.run_dir, None)
            self._kept_insights[self.run_dir] = data
            while len(self._kept_insights) > KEPT_INSIGHTS:  # the oldest run's go first
                del self._kept_insights[next(iter(self._kept_insights))]

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
        self.dashboard.doctor.hold_height(False)
        self.dashboard.hold_header(False)
        release_old_objects()
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
        test = data.get("test_line")  # the test set, scored once after training (engine/training/score_report.py)
        self.progress_label.setText(f"Last run: {status.replace('_', ' ')}{summary}" + (f"\n{test}" if test else ""))
        self.progress_label.setVisible(True)
        error = data.get("error")
        diverged = error["message"] if error and error.get("kind") == "diverged" else None
        self._diagnose(diverged)
        if error:
            self.last_error = error
            self._show_error(error)
        else:
            self.window.statusBar().showMessage(f"Run {status.replace('_', ' ')}{summary}", 8000)
        self.run_finished.emit(data)

    def _diagnose(self, diverged: str | None = None) -> None:
        """The training doctor's card, read from this run's epochs (engine/training/doctor.py)."""
        try:
            clip = float(self.document.graph.training.get("grad_clip") or 0.0)
        except (TypeError, ValueError):  # a value of the wrong kind is a problem on the form, not a crash here
            clip = 0.0
        self.dashboard.doctor.show_history(self.history, diverged, clip)

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
        QtWidgets.QMessageBox.critical(self.window, plain(error["title"]), rich(text))

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
        release_old_objects()
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


def set_progress_later(bar: QtWidgets.QProgressBar, value: int) -> None:
    """`bar.setValue(value)`, painted with the next frame: QProgressBar repaints at once when its
    text changes, and that synchronous repaint flushes every pending update of the window with it
    (all the live plots, in the middle of handling one message)."""
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)  # schedules an ordinary update


def _shown_setting(training: dict[str, Any], name: str) -> int:
    """The graph's value for a spin box; a value of the wrong kind shows the default (the graph keeps what
    was written and the analysis reports it under Training)."""
    setting = TRAINING_INDEX[name]
    try:
        return setting.check(training.get(name, setting.default))
    except ParamError:
        return setting.default
