"""Training from the editor, end to end: one child process (spawn) serves every test here."""

from __future__ import annotations

import csv
import multiprocessing
import os

import pytest
from PySide6 import QtWidgets

from editor.files import EXAMPLES_DIR
from editor.training.session import TrainingSession

SLOW_START_MS = 60_000  # the first run waits for the child to import torch on a busy machine


@pytest.fixture(scope="module")
def session(qapp):
    """One warm training process for the whole module; it must be gone afterwards."""
    shared = TrainingSession()
    shared.prewarm()
    yield shared
    shared.close()
    assert not shared.alive
    assert not [p for p in multiprocessing.active_children() if p.name == "netwright-training"]


@pytest.fixture
def trainer_window(make_window, session):
    def make(example: str):
        window = make_window(training_session=session)
        assert window.files.load_path(EXAMPLES_DIR / f"{example}.json", remember=False)
        return window

    return make


@pytest.mark.skipif(not hasattr(os, "getsid"), reason="sessions are POSIX")
def test_the_training_child_is_scheduled_apart_from_the_window(session, qtbot):
    # its own session = its own autogroup: the window's painting is not taken from training's CPU share
    qtbot.waitUntil(lambda: session.ready, timeout=60_000)
    assert os.getsid(session.process.pid) == session.process.pid
    assert os.getsid(session.process.pid) != os.getsid(0)


def test_train_pause_change_lr_resume_stop_continue(trainer_window, session, qtbot, tmp_path):
    window = trainer_window("mlp_digits")
    training = window.training
    plots = training.dashboard.plots
    training.epochs_box.setValue(300)  # long enough to pause mid-run; saved with the graph, undoable
    assert window.document.graph.training["epochs"] == 300 and window.document.modified
    assert training.train_action.isEnabled() and not training.pause_action.isEnabled()
    assert not training.stop_action.isEnabled() and not training.lr_box.isEnabled()

    training.train_action.trigger()
    assert not training.train_action.isEnabled() and training.stop_action.isEnabled()
    qtbot.waitUntil(lambda: plots.loss_points() > 0, timeout=SLOW_START_MS)
    qtbot.waitUntil(lambda: training.insights.confusion.total == 360, timeout=20_000)  # the validation set
    assert window.training_dock.isVisible() and training.progress.isVisible()

    # editing during the run is allowed and never reaches the running copy
    window.document.edit("Rename", lambda g: setattr(g, "name", "edited while training"))
    assert training.dashboard.edited.isVisible()

    training.pause_action.trigger()
    qtbot.waitUntil(lambda: session.paused_confirmed, timeout=10_000)
    assert training.resume_action.isEnabled() and not training.pause_action.isEnabled()
    assert training.lr_box.isEnabled()
    before = plots.loss_points()
    qtbot.wait(400)
    assert plots.loss_points() == before, "points arrived while paused"

    training.lr_box.setValue(0.0003)
    training.resume_action.trigger()
    qtbot.waitUntil(lambda: plots.loss_points() > before, timeout=10_000)
    qtbot.waitUntil(lambda: len(plots.loss.marks) == 1, timeout=10_000)  # the change is marked on the curves
    assert "0.0003" in plots.loss.notes[0]

    training.stop_action.trigger()
    qtbot.waitUntil(lambda: session.state == "idle", timeout=30_000)
    runs = training.store().runs()
    assert runs[0].status == "stopped" and runs[0].weights is not None
    assert window.document.trained_weights == runs[0].weights
    assert training.continue_action.isEnabled() and training.train_action.isEnabled()
    assert any(r.get("lr") == pytest.approx(0.0003) for r in runs[0].batches())
    assert runs[0].record["graph"]["name"] == "Digits MLP"  # the copy taken at Train

    training.export_csv(str(tmp_path / "metrics.csv"))
    with open(tmp_path / "metrics.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {"epoch", "train_loss", "val_loss", "val_acc", "grad_norm.fc1"} <= set(rows[0])
    assert plots.loss.save_png(str(tmp_path / "loss.png")) and (tmp_path / "loss.png").stat().st_size > 1000

    # continue from the trained weights for one more short run; the runs panel lists and compares both
    training.epochs_box.setValue(1)
    training.continue_action.trigger()
    qtbot.waitUntil(lambda: session.state == "idle", timeout=30_000)
    panel = training.dashboard.runs
    assert len(panel.runs) == 2 and panel.runs[0].status == "completed"
    panel.set_checked([r.id for r in panel.runs])
    lines = panel.diff_lines()
    assert "epochs: 300 → 1" in lines and any(line.startswith("started from") for line in lines)
    assert len(panel.plot.curves) == 2
    assert any(item.view.health for item in (window.canvas.canvas_node(n) for n in ("fc1", "relu1")))


def test_nan_stops_the_run_with_a_dialog_that_names_the_node(trainer_window, session, qtbot, dialogs):
    window = trainer_window("regression_diabetes")
    window.document.edit("Absurd learning rate", lambda g: g.nodes["gd"].params.__setitem__("lr", 10.0))
    window.document.edit("Long enough to blow up", lambda g: g.training.__setitem__("epochs", 60))
    graph_before = window.document.graph.copy()
    assert window.training.start()
    qtbot.waitUntil(lambda: session.state == "idle", timeout=SLOW_START_MS)
    critical = [(title, text) for kind, title, text in dialogs.shown if kind == "critical"]
    assert len(critical) == 1
    title, text = critical[0]
    assert "NaN" in title and "learning rate" in text.lower()
    node_id = window.training.last_error["node_id"]
    assert node_id in window.document.graph.nodes and f">{node_id}</span>" in text and "`" not in text
    assert window.canvas.selected_ids() == [node_id]
    # nothing lost, and the window still works
    assert window.document.graph == graph_before
    assert window.training.store().runs()[0].status == "diverged"
    assert window.training.train_action.isEnabled()
    window.document.edit("Sane learning rate", lambda g: g.nodes["gd"].params.__setitem__("lr", 0.1))
    assert window.document.graph.nodes["gd"].params["lr"] == 0.1


def test_cannot_train_a_broken_graph(make_window, dialogs):
    window = make_window()  # no session is started for a graph that cannot train
    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    window.document.edit("Break", lambda g: g.remove_node("fc2"))
    assert not window.training.start()
    assert dialogs.texts("warning") and window.training.session.process is None


def test_settings_form_edits_the_training_block_undoably(window):
    form = window.training.dashboard.settings
    assert "device" not in form.editors  # chosen in the toolbar: it belongs to the machine
    assert form.submit("batch_size", 64)
    assert window.document.graph.training["batch_size"] == 64 and window.training.batch_box.value() == 64
    assert not form.submit("epochs", 0) and not form.error.isHidden()
    window.document.undo_stack.undo()
    assert window.document.graph.training["batch_size"] == 32


def test_reading_the_curves_is_in_the_help_pane(window):
    window.training.dashboard.help_requested.emit()
    text = window.help.toPlainText()
    assert "Overfitting" in text and "validation" in text


def test_live_plots_take_100k_points(qtbot):
    from editor.training.plots import LivePlots

    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(900, 300)
    plots.reset(
        {
            "losses": ["loss"],
            "accuracy": ["loss"],
            "optimizers": [{"id": "adam", "lr": 1e-3}],
            "batches_per_epoch": 100,
            "relus": [],
        }
    )
    rows = [{"epoch": 1 + i // 100, "step": i + 1, "loss": 1.0 / (1 + i), "lr": 1e-3} for i in range(100_000)]
    for start in range(0, len(rows), 5000):
        plots.add_rows(rows[start : start + 5000])
    plots.redraw()
    assert plots.loss_points() == 200_000  # raw and smoothed
    assert isinstance(plots.loss.grab(), QtWidgets.QWidget().grab().__class__)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES_DIR.glob("*.json")))
def test_every_example_trains_from_the_editor(trainer_window, session, qtbot, example):
    window = trainer_window(example)
    window.training.epochs_box.setValue(1)
    assert window.training.start()
    qtbot.waitUntil(lambda: session.state == "idle", timeout=SLOW_START_MS)
    [run] = window.training.store().runs()[:1]
    assert run.status == "completed", (example, run.record.get("error"))
    assert window.training.dashboard.plots.loss_points() > 0
