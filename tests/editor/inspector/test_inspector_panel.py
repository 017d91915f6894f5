"""The Inspector shows what was recorded: each epoch's values at that slider position, the probe
sample chosen, the newest epoch of a live run, and a plain sentence when there is nothing to show."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6 import QtCore

from editor.inspector.panel import NO_NODE, NO_RUN, NOT_RECORDED, RECORDING_OFF, InspectorPanel
from engine.cli import main as cli
from engine.graph import Graph, save_graph
from engine.inspection.store import InspectionStore


def small_cnn() -> Graph:
    graph = Graph(name="tiny cnn")
    graph.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data")
    graph.add_node("layers.Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, node_id="conv1")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc1")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "conv1", "in"),
        ("conv1", "out", "relu1", "in"),
        ("relu1", "out", "flat", "in"),
        ("flat", "out", "fc1", "in"),
        ("fc1", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update({"epochs": 3, "seed": 2, "inspect_every": 1})  # every epoch, whatever the speed
    return graph


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cnn")
    save_graph(small_cnn(), folder / "g.json")
    assert cli(["train", str(folder / "g.json"), "--out", str(folder / "run")]) == 0
    return folder / "run"


@pytest.fixture
def panel(qtbot):
    view = InspectorPanel()
    qtbot.addWidget(view)
    view.resize(460, 900)
    return view


def drawn(panel: InspectorPanel, qtbot) -> None:
    """Until the loader's picture of the latest request is shown (it is prepared off the GUI thread)."""
    qtbot.waitUntil(lambda: not panel.drawing, timeout=5000)


def test_the_slider_at_epoch_n_shows_that_epochs_record(panel, qtbot, cnn_run):
    store = InspectionStore(cnn_run)
    assert store.epochs() == [0, 1, 2, 3]
    panel.set_run(cnn_run)
    panel.set_node("conv1")
    assert panel.slider.epoch == 3  # a finished run opens at its last epoch
    kernels = {}
    for epoch in store.epochs():
        panel.slider.show_epoch(epoch)
        drawn(panel, qtbot)
        record = store.read(epoch, "conv1")
        shown = panel.node_view.arrays
        np.testing.assert_array_equal(shown["kernels"], record.weights["weight"])
        np.testing.assert_array_equal(shown["feature_maps"], record.activations[0])
        assert panel.slider.label.text() == f"epoch {epoch} of 3"
        kernels[epoch] = shown["kernels"]
    assert not np.array_equal(kernels[0], kernels[3])  # training moved them: each epoch is its own
    assert panel.minimumSizeHint().width() <= 240  # a long run name wraps: the dock never widens a 1280 window
    titles = [v.title for v in panel.node_view.shown_views()]
    assert titles == ["Probe samples", "Feature maps", "Kernels", "Histograms"]
    panel.set_node("fc1")  # the output: a weight matrix and the class probabilities of the chosen sample
    drawn(panel, qtbot)
    record = store.read(3, "fc1")
    np.testing.assert_array_equal(panel.node_view.arrays["weights"], record.weights["weight"])
    np.testing.assert_array_equal(panel.node_view.arrays["softmax"], record.softmax[0])
    assert not panel.node_view.softmax.isHidden() and not panel.node_view.weights.isHidden()


def test_clicking_a_probe_sample_shows_its_activations(panel, qtbot, cnn_run):
    panel.set_run(cnn_run)
    panel.set_node("relu1")
    drawn(panel, qtbot)
    strip = panel.node_view.probe_strip
    target = strip.layout(strip.body())[5]
    qtbot.mouseClick(strip, QtCore.Qt.MouseButton.LeftButton, pos=target.center().toPoint())
    drawn(panel, qtbot)
    assert panel.sample == 5 and strip.selected == 5
    np.testing.assert_array_equal(
        panel.node_view.arrays["feature_maps"], InspectionStore(cnn_run).read(3, "relu1").activations[5]
    )


def test_play_replays_from_the_first_epoch_to_the_last(panel, qtbot, cnn_run):
    panel.set_run(cnn_run)
    panel.set_node("fc1")
    seen = []
    panel.slider.epoch_changed.connect(seen.append)
    panel.slider.timer.setInterval(10)
    panel.slider.play_button.click()
    qtbot.waitUntil(lambda: not panel.slider.play_button.isChecked(), timeout=3000)
    assert seen == [0, 1, 2, 3] and panel.slider.epoch == 3


def test_a_live_run_is_followed_to_its_newest_epoch(panel, qtbot, cnn_run, tmp_path):
    live = tmp_path / "live"
    shutil.copytree(cnn_run, live)
    index_path = live / "inspection" / "index.json"
    index = json.loads(index_path.read_text())
    full = index["epochs"]
    index["epochs"] = full[:2]
    index_path.write_text(json.dumps(index))
    panel.set_run(live, live=True)
    panel.set_node("conv1")
    assert panel.slider.epochs == [0, 1] and panel.slider.epoch == 1 and not panel.slider.follow.isHidden()
    assert panel.minimumSizeHint().width() <= 220  # the live controls fit the right column at 1280 x 720
    index["epochs"] = full  # the recorder wrote two more epochs
    index_path.write_text(json.dumps(index))
    qtbot.waitUntil(lambda: panel.slider.epoch == 3, timeout=3000)
    drawn(panel, qtbot)
    np.testing.assert_array_equal(
        panel.node_view.arrays["kernels"], InspectionStore(live).read(3, "conv1").weights["weight"]
    )
    panel.finish_live()
    assert not panel.poll.isActive() and panel.slider.epoch == 3


def test_every_empty_state_says_why(panel, qtbot, cnn_run, tmp_path):
    def said() -> str:
        assert panel.scroll.isHidden() and not panel.message.isHidden()  # a sentence, never an empty box
        return panel.message.text()

    panel.set_node("conv1")
    assert said() == NO_RUN
    bare = tmp_path / "bare"
    shutil.copytree(cnn_run, bare)
    shutil.rmtree(bare / "inspection")
    panel.set_run(bare)
    assert said() == NOT_RECORDED
    record = json.loads((bare / "run.json").read_text())
    record["settings"]["inspect"] = False
    (bare / "run.json").write_text(json.dumps(record))
    panel.set_run(None)
    panel.set_run(bare)
    assert said() == RECORDING_OFF
    panel.set_run(cnn_run)
    panel.set_node(None)
    assert said() == NO_NODE
    panel.set_node("loss")
    assert "`loss` has no recording" in said() and "conv1" in said()
    panel.set_node("conv9")
    assert "`conv9` was not in the graph when this run trained" in said()
    panel.set_node("conv1")
    drawn(panel, qtbot)
    assert panel.message.isHidden() and not panel.scroll.isHidden()


def test_why_shows_saliency_and_grad_cam_of_each_probe_sample(panel, cnn_run):
    panel.set_run(cnn_run)
    panel.set_node("relu1")  # feature maps: Grad-CAM looks at them
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.why_tab)
    why = tabs.why_view
    assert why.message.isHidden()
    assert len(why.inputs.images) == len(why.saliency.images) == len(why.grad_cam.images) == 16
    assert "relu1" in why.grad_cam.subtitle and "weights of epoch 3" in why.inputs.subtitle
    panel.set_node("fc1")  # not a stack of feature maps: the last convolution
    assert "conv1" in why.grad_cam.subtitle


def test_epochs_are_prepared_off_the_gui_thread_and_only_the_newest_is_shown(panel, qtbot, cnn_run, monkeypatch):
    import threading

    from editor.inspector import node_loader

    prepared_on, shown = [], []
    real_prepare = node_loader.prepare_node

    def watched_prepare(record, *args):
        prepared_on.append((threading.current_thread(), record.epoch))
        return real_prepare(record, *args)

    monkeypatch.setattr(node_loader, "prepare_node", watched_prepare)
    real_apply = panel.node_view.apply
    monkeypatch.setattr(panel.node_view, "apply", lambda picture: (shown.append(picture), real_apply(picture)))
    panel.set_run(cnn_run)
    panel.set_node("conv1")
    for epoch in (0, 1, 2, 3, 0, 2):  # faster than they can be drawn: the newest wins
        panel.slider.show_epoch(epoch)
    drawn(panel, qtbot)
    assert all(thread is not threading.main_thread() for thread, _ in prepared_on)
    assert len(shown) <= len(prepared_on) <= 7 and prepared_on[-1][1] == 2
    np.testing.assert_array_equal(
        shown[-1].arrays["kernels"], InspectionStore(cnn_run).read(2, "conv1").weights["weight"]
    )
    qtbot.wait(50)  # a result for an overtaken request arriving late is dropped, not shown over the newest
    assert shown[-1].arrays is panel.node_view.arrays


def test_the_node_tab_behind_another_is_drawn_when_it_shows(panel, qtbot, cnn_run):
    panel.set_run(cnn_run)
    panel.tabs.setCurrentIndex(panel.model_tabs.cell_tab)  # a cheap tab: nothing to compute without a cell
    panel.set_node("fc1")
    assert not panel.drawing and "weights" not in panel.node_view.arrays
    panel.tabs.setCurrentIndex(0)
    drawn(panel, qtbot)
    np.testing.assert_array_equal(
        panel.node_view.arrays["weights"], InspectionStore(cnn_run).read(3, "fc1").weights["weight"]
    )
