"""State and feedback: the training panel belongs to the open graph, the status bar says what is
true, Train says why it cannot, quick fixes are offered where training is refused, keyboard
focus stays on the canvas, refused values are explained at their field, and a learning rate
changed while paused is written back to the graph."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from editor_ui import set_spin
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from editor.files import EXAMPLES_DIR
from editor.training.controller import NO_RUN_TITLE
from editor.training.insights_view import (
    NO_RUN_CONFUSION,
    NO_RUN_SAMPLES,
    NOT_KEPT_CONFUSION,
    NOT_KEPT_SAMPLES,
)
from editor.training.session import TrainingSession
from engine.graph import Graph, save_graph
from engine.runs import RunStore


class FakeSession(TrainingSession):
    """A training session without a process: records what the controller asks of it."""

    def __init__(self):
        super().__init__()
        self.jobs: list[dict] = []
        self.resumed: list[tuple[float | None, str | None]] = []

    def start(self, job: dict[str, Any]) -> None:
        self.jobs.append(job)
        self._set_state("starting")

    def pause(self) -> None:
        self._set_state("paused")

    def resume(self, lr: float | None = None, optimizer: str | None = None) -> None:
        self.resumed.append((lr, optimizer))
        self._set_state("running")

    def stop(self) -> None:
        self._set_state("stopping")

    def send(self, kind: str, data: Any) -> None:
        """Deliver a message as the child's poll would."""
        self._dispatch(kind, data)

    def finish(self, run_dir: str, status: str = "stopped") -> None:
        self.send("finished", {"status": status, "error": None, "run_dir": run_dir, "weights": None})


def started(optimizers=("adam",), epochs: int = 20) -> dict[str, Any]:
    return {
        "epochs": epochs,
        "start_epoch": 0,
        "batches_per_epoch": 10,
        "batch_size": 32,
        "num_train": 320,
        "num_val": 80,
        "losses": ["loss"],
        "accuracy": ["loss"],
        "optimizers": [{"id": o, "lr": 0.001} for o in optimizers],
        "class_names": [str(i) for i in range(10)],
        "device": "cpu",
        "weighted": ["fc1", "fc2"],
        "relus": ["relu1"],
        "monitor": "val_loss",
        "step": 0,
    }


def progress(epoch: int, epochs: int = 20) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "index": 3,
        "step": epoch * 10,
        "epochs": epochs,
        "batches_per_epoch": 10,
        "samples_per_s": 1000.0,
        "elapsed": 1.0,
    }


def epoch_row(epoch: int) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "step": epoch * 10,
        "train_loss": 1.0 / epoch,
        "val_loss": 1.2 / epoch,
        "train_acc": 0.5 + epoch / 100,
        "val_acc": 0.45 + epoch / 100,
        "lr": 0.001,
        "grad_norm": {"fc1": 0.5, "fc2": 0.2},
        "dead_relu": {"relu1": 0.1},
    }


@pytest.fixture
def fake_window(make_window):
    session = FakeSession()

    def make(example: str | None = "mlp_digits"):
        window = make_window(training_session=session)
        if example:
            assert window.files.load_path(EXAMPLES_DIR / f"{example}.json", remember=False)
        return window

    make.session = session
    return make


def run_to_the_end(window, session: FakeSession, optimizers=("adam",), epochs: int = 3) -> None:
    """A whole run as the child reports it: started, batches, epochs, finished."""
    training = window.training
    assert training.start()
    session.send("started", started(optimizers, epochs))
    session._set_state("running")
    for epoch in range(1, epochs + 1):
        session.send("rows", [{"epoch": epoch, "step": epoch * 10, "loss": 1.0 / epoch, "lr": 0.001}])
        session.send("epoch", epoch_row(epoch))
        session.send("insights", {"epoch": epoch, "confusion": {"labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}})
    training._apply_pending(final=True)
    session._set_state("idle")
    session.finish(str(training.run_dir), status="completed")


def write_run(store: RunStore, started_at: datetime, epochs: int = 3, status: str = "completed") -> str:
    """A finished run folder as the training process leaves it."""
    folder = store.new_run(started_at)
    history = [epoch_row(e) for e in range(1, epochs + 1)]
    record = {
        "status": status,
        "settings": {"epochs": epochs, "batch_size": 32},
        "device": "cpu",
        "monitor": "val_loss",
        "plan": {"optimizers": [{"id": "adam", "losses": {"loss": 1.0}}], "batch_size": 32},
    }
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in history), encoding="utf-8")
    batches = [{"epoch": e, "step": e * 10, "loss": 1.0 / e, "lr": 0.001} for e in range(1, epochs + 1)]
    (folder / "batches.jsonl").write_text("".join(json.dumps(r) + "\n" for r in batches), encoding="utf-8")
    return folder.name


def status(window) -> str:
    return QtWidgets.QLabel(window.problem_status.text()).text().split("</span>")[-1].strip()


# -- the training panel belongs to the open graph ---------------------------------------------------


def test_opening_another_example_clears_the_previous_run(fake_window, qtbot):
    window = fake_window("gan_digits" if (EXAMPLES_DIR / "gan_digits.json").exists() else "mlp_digits")
    session = fake_window.session
    training = window.training
    run_to_the_end(window, session, optimizers=("gen_opt", "disc_opt"))
    plots = training.dashboard.plots
    assert plots.loss_points() > 0 and training.history
    assert training.insights.confusion.total == 8
    assert training.progress_label.text().startswith("Last run: completed")
    assert training.lr_target.count() == 3  # all optimizers, gen_opt, disc_opt: the GAN chooser

    assert window.files.load_path(EXAMPLES_DIR / "regression_diabetes.json", remember=False)

    assert plots.loss_points() == 0 and not training.history
    assert training.insights.confusion.matrix is None
    assert not training.progress_label.isVisible() and training.progress_label.text() == ""
    assert training.dashboard.title.text() == NO_RUN_TITLE
    assert training.lr_target.count() == 0 and not training.lr_target_action.isVisible()
    assert not any(window.canvas.canvas_node(n).view.health for n in window.document.graph.nodes)


def test_each_graph_shows_its_own_latest_run(fake_window, tmp_path):
    window = fake_window(None)
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    save_graph(window.document.graph, mine)
    save_graph(Graph(name="other"), other)
    write_run(RunStore.beside(mine), datetime(2026, 3, 1, 10, 0), epochs=2, status="stopped")
    newest = write_run(RunStore.beside(mine), datetime(2026, 3, 1, 11, 0), epochs=4)

    assert window.files.load_path(mine)
    training = window.training
    assert len(training.history) == 4 and training.dashboard.plots.loss_points() > 0
    assert training.progress_label.text() == "Last run: completed — 4 epochs, validation accuracy 49.0%"
    assert "Latest run" in training.dashboard.title.text()
    assert window.canvas.canvas_node("fc1").view.health  # the last epoch's badges
    assert training.dashboard.runs.store.folder == RunStore.beside(mine).folder
    assert training.dashboard.runs.runs[0].id == newest

    assert window.files.load_path(other)
    assert not training.history and training.dashboard.plots.loss_points() == 0
    assert training.dashboard.title.text() == NO_RUN_TITLE and training.progress_label.isHidden()

    assert window.files.load_path(mine)  # and back: the run is still there
    assert len(training.history) == 4


def test_insights_say_what_is_true_when_nothing_trains(fake_window):
    window = fake_window()
    session, training = fake_window.session, window.training
    insights = training.insights
    assert (insights.confusion.message, insights.samples.message) == (NO_RUN_CONFUSION, NO_RUN_SAMPLES)
    run_to_the_end(window, session)
    assert insights.confusion.total == 8  # the run's last matrix stays after it ends

    assert window.files.load_path(EXAMPLES_DIR / "gan_digits.json", remember=False)
    assert insights.confusion.matrix is None and insights.samples.samples is None
    assert (insights.confusion.message, insights.samples.message) == (NO_RUN_CONFUSION, NO_RUN_SAMPLES)

    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    assert insights.confusion.total == 8 and insights.confusion.epoch == 3  # its last run, seen in this session


def test_a_run_read_from_disk_says_its_insights_are_not_saved(fake_window, tmp_path):
    window = fake_window()
    mine = tmp_path / "mine.json"
    save_graph(window.document.graph, mine)
    write_run(RunStore.beside(mine), datetime(2026, 3, 1, 10, 0))
    assert window.files.load_path(mine)
    insights = window.training.insights
    assert insights.confusion_applies  # the run was a classifier's
    assert (insights.confusion.message, insights.samples.message) == (NOT_KEPT_CONFUSION, NOT_KEPT_SAMPLES)
    assert insights.confusion.matrix is None and insights.samples.samples is None


def test_opening_a_graph_during_a_run_stops_that_run_and_ignores_its_events(fake_window):
    window = fake_window()
    session = fake_window.session
    training = window.training
    assert training.start()
    session.send("started", started())
    run_dir = str(training.run_dir)
    assert window.files.load_path(EXAMPLES_DIR / "regression_diabetes.json", remember=False)
    assert session.state == "stopping"
    session.send("epoch", epoch_row(1))  # late events of the old run
    training._apply_pending(final=True)
    assert training.dashboard.plots.loss_points() == 0 and not training.history
    session._set_state("idle")
    session.finish(run_dir)
    assert window.document.trained_weights is None  # the old run's weights are not this graph's
    assert training.train_action.isEnabled()


# -- the status bar and the Train action say what is true --------------------------------------------


def test_status_bar_and_train_action_say_what_is_true(fake_window, qtbot):
    window = fake_window(None)
    training = window.training
    assert status(window) == "Add a Dataset node to start"
    assert not training.train_action.isEnabled()
    assert "Dataset" in training.train_action.toolTip()
    assert "can be trained" not in window.problems.empty.text() and "Dataset" in window.problems.empty.text()
    assert training.lr_box.text() == "—"  # no optimizer, no learning rate (not 1e-08)

    window.document.load(Graph(name="lonely"), None)
    window.document.edit("add", lambda g: g.add_node("layers.Linear", node_id="fc"))
    window.live.run_now()
    assert status(window) == "Add a Dataset node to start"

    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    assert status(window) == "Ready to train" and training.train_action.isEnabled()
    assert "fresh weights" in training.train_action.toolTip()

    window.document.edit("break", lambda g: g.disconnect(next(e for e in g.edges if e.dst == "fc2")))
    window.live.run_now()
    problems = len(window.live.analysis.problems)
    assert status(window) == f"{problems} problem{'s' if problems > 1 else ''}"
    assert not training.train_action.isEnabled()
    tip = training.train_action.toolTip()
    assert tip.startswith("Cannot train: Linear fc2 has nothing connected") and "`" not in tip
    window.live.wait()
    assert window.params_status.text() == "8,320+ parameters" and "fc2" in window.params_status.toolTip()

    window.document.undo_stack.undo()
    window.document.edit("no optimizer", lambda g: g.remove_node("adam"))
    window.live.run_now()
    assert status(window) == "Cannot train yet"  # a loss without an optimizer is a warning, not an error
    # ...with a quick fix (add an optimizer): Train stays enabled and shows it
    assert training.train_action.isEnabled()
    tip = training.train_action.toolTip()
    assert tip.startswith("Cannot train yet: Train shows the fixes.") and "no optimizer" in tip, tip

    window.document.undo_stack.undo()
    window.live.run_now()
    assert training.start()
    assert status(window) == "Training: starting…"
    fake_window.session.send("started", started())
    fake_window.session._set_state("running")
    training._show_progress(progress(5))
    assert status(window) == "Training: epoch 5/20"
    training.pause()
    assert status(window) == "Paused at epoch 5/20"
    fake_window.session._set_state("idle")
    fake_window.session.finish(str(training.run_dir))
    assert status(window) == "Ready to train"


# -- Train on a graph with problems offers the quick fixes ---------------------------------------------


def test_train_dialog_offers_quick_fixes_as_buttons(fake_window, qtbot):
    window = fake_window()
    make_active(window, qtbot)
    window.document.edit("images", lambda g: g.nodes["data"].params.__setitem__("dataset", "digits_images"))
    window.live.run_now()
    training = window.training
    problems = len(window.live.analysis.problems)
    assert status(window) == f"{problems} problem{'s' if problems > 1 else ''}"
    assert training.train_action.isEnabled()  # Train is how the user reaches the fixes
    assert training.train_action.toolTip().startswith(f"{status(window)}: Train shows the fixes.")
    training.train_action.trigger()
    box = training.cannot_train_box
    assert box is not None and box.isVisible()
    assert "`" not in box.text() and "&#" not in box.text()
    fix = next(b for b in box.buttons() if b.text() == "Insert Flatten")
    fix.click()
    qtbot.waitUntil(lambda: not box.isVisible())
    assert any(n.type_id == "layers.Flatten" for n in window.document.graph.nodes.values())
    window.live.run_now()
    assert status(window) == "Ready to train" and training.train_action.isEnabled()
    assert QtWidgets.QApplication.focusWidget() is window.canvas.viewer
    assert fake_window.session.jobs == []  # a fix is not a Train


def test_train_on_a_loss_without_optimizer_offers_to_add_one(fake_window, qtbot):
    window = fake_window()
    make_active(window, qtbot)
    window.document.edit("no optimizer", lambda g: g.remove_node("adam"))
    window.live.run_now()
    training = window.training
    training.train_action.trigger()
    box = training.cannot_train_box
    assert box is not None and box.isVisible() and "optimizer" in box.text()
    [fix] = [b for b in box.buttons() if box.buttonRole(b) == QtWidgets.QMessageBox.ButtonRole.AcceptRole]
    fix.click()
    qtbot.waitUntil(lambda: not box.isVisible())
    window.live.run_now()
    assert any(n.type_id.startswith("optimizers.") for n in window.document.graph.nodes.values())
    assert status(window) == "Ready to train" and fake_window.session.jobs == []


def test_train_stays_disabled_when_no_fix_can_help(fake_window):
    window = fake_window()
    window.document.edit("Break", lambda g: g.remove_node("fc2"))
    window.live.run_now()
    training = window.training
    assert not window.training.readiness.fixes
    assert not training.train_action.isEnabled() and not training.continue_action.isEnabled()
    assert training.train_action.toolTip().startswith("Cannot train: ")


def test_train_dialog_without_a_fix_is_a_plain_warning(fake_window, dialogs):
    window = fake_window()
    window.document.edit("Break", lambda g: g.remove_node("fc2"))
    assert not window.training.start()
    assert window.training.cannot_train_box is None
    [text] = dialogs.texts("warning")
    assert "`" not in text


# -- keyboard focus stays where the user works ---------------------------------------------------------


def focused(window) -> QtWidgets.QWidget | None:
    return QtWidgets.QApplication.focusWidget()


def make_active(window, qtbot) -> None:
    """Focus only moves inside the active window."""
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window)


def not_stolen(window) -> bool:
    widget = focused(window)
    return widget not in (window.palette.filter, window.properties.id_edit, window.properties.name_edit)


def test_adding_nodes_keeps_focus_on_the_canvas_and_tab_keeps_working(fake_window, qtbot):
    window = fake_window()
    viewer = window.canvas.viewer
    make_active(window, qtbot)
    viewer.setFocus()
    for _round in range(2):  # a second Tab after the first add still opens the search
        QTest.keyClick(viewer, QtCore.Qt.Key.Key_Tab)
        quick = window.canvas.quick_add
        assert quick.isVisible() and focused(window) is quick.search
        qtbot.keyClicks(quick.search, "relu")
        qtbot.keyClick(quick.search, QtCore.Qt.Key.Key_Return)
        assert not quick.isVisible()
        assert focused(window) is viewer, focused(window)
    assert sum(n.type_id == "activations.ReLU" for n in window.document.graph.nodes.values()) == 3

    window.palette.filter.setFocus()
    qtbot.keyClicks(window.palette.filter, "dropout")
    qtbot.keyClick(window.palette.filter, QtCore.Qt.Key.Key_Return)
    assert focused(window) is viewer and not_stolen(window)

    item = window.palette.item_for("layers.Linear")
    window.palette.tree.setFocus()
    window.palette.tree.itemActivated.emit(item, 0)  # a double-click
    assert focused(window) is viewer


def test_quick_fix_and_run_end_keep_focus_off_the_forms(fake_window, qtbot):
    window = fake_window()
    make_active(window, qtbot)
    window.document.edit("images", lambda g: g.nodes["data"].params.__setitem__("dataset", "digits_images"))
    window.live.run_now()
    row = window.problems.row(0)
    row.fix_button.setFocus()
    row.fix_button.click()
    assert focused(window) is window.canvas.viewer

    session, training = fake_window.session, window.training
    window.canvas.select([])
    assert training.start()
    session.send("started", started())
    training.pause()
    training.lr_box.setFocus()
    assert focused(window) is training.lr_box
    session._set_state("idle")
    session.finish(str(training.run_dir))
    assert focused(window) is window.canvas.viewer and not_stolen(window)


# -- refused values are explained at the field ---------------------------------------------------------


def test_out_of_range_learning_rate_is_refused_at_the_field(fake_window, qtbot):
    window = fake_window()
    window.canvas.select(["adam"])
    panel = window.properties
    spin = panel.editors["lr"].input_widget
    set_spin(qtbot, spin, "1000")
    qtbot.waitUntil(lambda: bool(panel.field_message("lr")))
    message = panel.field_message("lr")
    assert "must be at most 10" in message and "1000" in message and "kept 0.001" in message
    assert spin.property("invalid") is True
    assert window.document.graph.nodes["adam"].params["lr"] == 0.001
    assert window.document.undo_stack.count() == 0

    set_spin(qtbot, spin, "0.01")
    assert window.document.graph.nodes["adam"].params["lr"] == 0.01
    assert panel.field_message("lr") == "" and not spin.property("invalid")


def test_out_of_range_whole_number_can_be_typed_and_is_refused(fake_window, qtbot):
    window = fake_window()
    window.canvas.select(["data"])
    panel = window.properties
    spin = panel.editors["image_size"].input_widget
    set_spin(qtbot, spin, "1000")
    assert spin.lineEdit().text() != "100"  # the last keystroke was not swallowed
    qtbot.waitUntil(lambda: bool(panel.field_message("image_size")))
    assert "at most 512" in panel.field_message("image_size")

    epochs = window.training.epochs_box
    set_spin(qtbot, epochs, "0")
    qtbot.waitUntil(lambda: epochs.property("invalid") is True)
    assert "at least 1" in epochs.statusTip()
    assert window.document.graph.training.get("epochs", 20) != 0


# -- a learning rate changed while paused goes into the graph ------------------------------------------


def test_learning_rate_changed_while_paused_is_written_back_undoably(fake_window):
    window = fake_window()
    session, training = fake_window.session, window.training
    assert training.start()
    session.send("started", started())
    session._set_state("running")
    training.pause()
    assert training.lr_box.isEnabled()
    training.lr_box.setValue(0.0003)
    training.resume()
    assert session.resumed == [(pytest.approx(0.0003), None)]
    assert window.document.graph.nodes["adam"].params["lr"] == pytest.approx(0.0003)
    assert "lr" in window.document.undo_stack.undoText() and "paused" in window.document.undo_stack.undoText()
    assert not training.dashboard.edited.isVisible()  # it is the run's own change, not an edit behind it
    assert "Ctrl+Z" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert window.document.graph.nodes["adam"].params["lr"] == 0.001

    session.send("event", {"kind": "lr_changed", "optimizer": "adam", "from": 0.001, "to": 0.0003, "step": 30})
    training.pause()
    training.resume()  # nothing changed since: nothing written
    assert session.resumed[-1] == (None, None) and window.document.undo_stack.count() == 1


def test_learning_rate_out_of_range_in_the_toolbar_is_refused_visibly(fake_window, qtbot):
    window = fake_window()
    session, training = fake_window.session, window.training
    assert training.start()
    session.send("started", started())
    training.pause()
    set_spin(qtbot, training.lr_box, "1000")
    qtbot.waitUntil(lambda: training.lr_box.property("invalid") is True)
    assert "between" in training.lr_box.statusTip() and "1000" in training.lr_box.statusTip()
    assert training.lr_box.value() == pytest.approx(0.001)
