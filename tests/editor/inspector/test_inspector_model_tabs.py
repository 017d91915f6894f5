"""The Inspector's tabs that run the trained model: a drawn digit gives the probabilities of a direct
forward pass, a clicked confusion cell lists exactly its samples, a 2-D dataset gets its decision map."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6 import QtCore

from editor.inspector.panel import InspectorPanel
from engine.cli import main as cli
from engine.graph import save_graph
from engine.inspection.live_input import features_to_sample, frame_drawing, image_to_sample, predict, typical_features
from engine.inspection.trained import load_trained_run
from tests.engine.conftest import make_mlp


def trained(folder, graph, run_id="run"):
    save_graph(graph, folder / "g.json")
    runs = folder / "g.runs"
    assert cli(["train", str(folder / "g.json"), "--out", str(runs / run_id)]) == 0
    return runs / run_id


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    graph = make_mlp(16)
    graph.training.update({"epochs": 2, "seed": 4})
    return trained(tmp_path_factory.mktemp("digits"), graph, "20260101-120000-abcd")


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    graph = make_mlp(4)
    graph.nodes["data"].params.update({"dataset": "moons", "num_samples": 200})
    graph.nodes["relu1"].type_id = "activations.Tanh"
    graph.nodes["fc2"].params["out_features"] = 2
    graph.nodes["adam"].params["lr"] = 0.05
    graph.training.update({"epochs": 3, "seed": 1})
    return trained(tmp_path_factory.mktemp("moons"), graph)


@pytest.fixture
def panel(qtbot):
    view = InspectorPanel()
    qtbot.addWidget(view)
    view.resize(460, 900)
    return view


def test_a_digit_drawn_with_the_mouse_gives_the_probabilities_of_a_direct_forward_pass(panel, qtbot, digits_run):
    panel.set_run(digits_run)
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.try_tab)
    pad = tabs.try_view.pad
    assert not pad.isHidden() and tabs.try_view.features.isHidden()  # digits: a pad, not 64 boxes
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(pad, left, pos=QtCore.QPoint(70, 40))
    for x, y in ((150, 40), (120, 110), (95, 190)):  # a 7
        qtbot.mouseMove(pad, QtCore.QPoint(x, y))
    qtbot.mouseRelease(pad, left, pos=QtCore.QPoint(95, 190))
    prediction = tabs.last_prediction
    assert prediction is not None
    run = load_trained_run(digits_run)  # the run's final weights, loaded afresh
    x = torch.from_numpy(image_to_sample(run, frame_drawing(pad.pixels()))).reshape(1, 64)
    with torch.no_grad():
        direct = torch.softmax(run.modules.fc2(run.modules.relu1(run.modules.fc1(x))), 1)[0].numpy()
    np.testing.assert_allclose(prediction.probabilities, direct, atol=1e-6)
    np.testing.assert_allclose(tabs.try_view.probabilities.values, direct, atol=1e-6)
    names = list(run.data.class_names)
    assert tabs.try_view.verdict.text().startswith(f"Predicts {names[int(direct.argmax())]}")
    assert [n for n, _, _ in tabs.try_view.along.rows] == ["fc1", "relu1", "fc2"]


def test_clicking_a_confusion_cell_lists_exactly_its_samples(make_window, qtbot, digits_run):
    window = make_window()
    assert window.files.load_path(digits_run.parent.parent / "g.json")  # runs live beside the file
    inspector = window.inspector
    assert inspector.panel.run_dir == digits_run  # the graph's latest run, opened with it
    assert inspector.panel.paused  # behind the Help tab: draws nothing until shown
    run = load_trained_run(digits_run)
    with torch.no_grad():
        predicted = run.modules.fc2(run.modules.relu1(run.modules.fc1(run.data.val_x))).argmax(1).numpy()
    truth = run.data.val_y.numpy()
    matrix = np.histogram2d(truth, predicted, bins=10, range=[[0, 10]] * 2)[0].astype(int)
    confusion = window.training.insights.confusion
    confusion.set_matrix([str(k) for k in range(10)], matrix.tolist(), epoch=2)
    confusion.resize(400, 400)
    wrong = np.argwhere((matrix > 0) & ~np.eye(10, dtype=bool))[0]
    left, top, size = confusion.grid_geometry()
    where = QtCore.QPoint(int(left + (wrong[1] + 0.5) * size), int(top + (wrong[0] + 0.5) * size))
    qtbot.mouseClick(confusion, QtCore.Qt.MouseButton.LeftButton, pos=where)
    cell = inspector.panel.model_tabs.cell_view.cell
    assert cell is not None and (cell.true_class, cell.predicted_class) == tuple(wrong)
    expected = np.flatnonzero((truth == wrong[0]) & (predicted == wrong[1]))
    np.testing.assert_array_equal(cell.indices, expected)
    assert cell.total == matrix[tuple(wrong)]
    assert inspector.panel.tabs.currentIndex() == inspector.panel.model_tabs.cell_tab
    assert not inspector.panel.paused and inspector.dock.isVisible()
    window.canvas.select(["fc1"])
    assert inspector.panel.node_id == "fc1"


def test_a_two_feature_dataset_gets_its_decision_map_at_each_epoch(panel, moons_run):
    panel.set_run(moons_run)
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.map_tab)
    final = tabs.map_view.map
    assert final is not None and final.probabilities.shape[:2] == (72, 72)
    assert set(final.units) == {"fc1", "relu1", "fc2"} and final.units["fc1"].shape == (4, 72, 72)
    assert len(tabs.map_view.points) > 100
    panel.slider.show_epoch(0)  # the initial weights: another map
    assert tabs.map_view.map is not final
    assert not np.allclose(tabs.map_view.map.probabilities, final.probabilities)
    assert "weights of epoch 0" in tabs.map_view.subtitle


def test_tabs_that_need_weights_say_so_for_images_features_and_no_run(panel, digits_run):
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.map_tab)
    assert "Train the graph first" in tabs.map_view.message
    panel.set_run(digits_run)
    assert "two features" in tabs.map_view.message and "[64]" in tabs.map_view.message


def test_while_a_run_trains_the_decision_map_is_redrawn_at_most_once_a_second(panel, qtbot, moons_run):
    panel.set_run(moons_run, live=True)
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.map_tab)
    first = tabs.map_view.map
    assert first is not None
    panel.slider.show_epoch(0)  # a new epoch right after: drawn a little later, not at once
    assert tabs.map_view.map is first and tabs.later.isActive()
    qtbot.waitUntil(lambda: tabs.map_view.map is not first, timeout=3000)
    assert "weights of epoch 0" in tabs.map_view.subtitle
    panel.set_run(moons_run, live=False)


def test_typed_feature_values_give_the_engines_prediction(panel, tmp_path):
    graph = make_mlp(8)
    graph.nodes["data"].params["dataset"] = "iris"
    graph.nodes["fc2"].params["out_features"] = 3
    graph.training.update({"epochs": 2, "seed": 3})
    run_dir = trained(tmp_path, graph)
    panel.set_run(run_dir)
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.try_tab)
    boxes = tabs.try_view.feature_boxes
    assert len(boxes) == 4 and tabs.try_view.image_box.isHidden()
    run = load_trained_run(run_dir)
    np.testing.assert_allclose([b.value() for b in boxes], typical_features(run), atol=1e-3)  # starts at the means
    boxes[2].setValue(6.1)  # a long petal
    expected = predict(run, features_to_sample(run, [b.value() for b in boxes]))
    np.testing.assert_allclose(tabs.last_prediction.probabilities, expected.probabilities, atol=1e-6)
    assert tabs.try_view.verdict.text().startswith(f"Predicts {expected.predicted_name}")


def test_an_image_file_dropped_on_the_pad_is_predicted_as_the_engine_reads_it(panel, digits_run, tmp_path):
    from PIL import Image

    from engine.inspection.live_input import image_file_to_sample

    run = load_trained_run(digits_run)
    digit = run.raw_x(run.data.val_x[:1])[0].numpy().reshape(8, 8)
    page = (255 - np.kron(digit, np.ones((10, 10))) * 255).astype(np.uint8)  # dark ink on white, 80 x 80
    Image.fromarray(page).save(tmp_path / "digit.png")
    panel.set_run(digits_run)
    tabs = panel.model_tabs
    panel.tabs.setCurrentIndex(tabs.try_tab)
    tabs.try_view.pad.file_dropped.emit(str(tmp_path / "digit.png"))
    expected = predict(run, image_file_to_sample(run, tmp_path / "digit.png"))
    np.testing.assert_allclose(tabs.last_prediction.probabilities, expected.probabilities, atol=1e-6)
    np.testing.assert_allclose(expected.raw_input, digit.reshape(64), atol=0.01)  # the same digit came back
    tabs.try_view.pad.file_dropped.emit(str(tmp_path / "missing.png"))
    assert "missing.png: no such file" in tabs.try_view.verdict.text()
