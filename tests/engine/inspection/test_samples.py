"""The samples behind a confusion-matrix cell are exactly the cell's samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.cli import main as cli
from engine.graph import save_graph
from engine.inspection.samples import samples_in_cell, score_split
from engine.inspection.trained import RunReadError, load_trained_run
from tests.engine.conftest import make_mlp


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    graph = make_mlp(16)
    graph.training.update({"epochs": 2, "seed": 5})
    save_graph(graph, folder / "g.json")
    assert cli(["train", str(folder / "g.json"), "--out", str(folder / "run")]) == 0
    return load_trained_run(folder / "run")


def test_each_cell_lists_exactly_its_validation_samples(digits_run):
    data = digits_run.data
    with torch.no_grad():
        logits = digits_run.modules.fc2(digits_run.modules.relu1(digits_run.modules.fc1(data.val_x)))
    truth, guess = data.val_y.numpy(), logits.argmax(1).numpy()
    scored = score_split(digits_run)
    np.testing.assert_array_equal(scored.matrix(10), np.histogram2d(truth, guess, bins=10, range=[[0, 10]] * 2)[0])
    wrong = next((t, p) for t, p in zip(truth, guess, strict=True) if t != p)  # an epoch-2 model errs somewhere
    for true_class, predicted_class in [(int(wrong[0]), int(wrong[1])), (int(truth[0]), int(guess[0]))]:
        cell = samples_in_cell(digits_run, true_class, predicted_class, limit=1000)
        expected = np.flatnonzero((truth == true_class) & (guess == predicted_class))
        np.testing.assert_array_equal(cell.indices, expected)
        assert cell.total == len(expected) == scored.matrix(10)[true_class, predicted_class]
        np.testing.assert_allclose(cell.probabilities, torch.softmax(logits, 1).numpy()[expected], atol=1e-6)
        assert (cell.probabilities.argmax(1) == predicted_class).all()
        np.testing.assert_allclose(cell.inputs, data.val_x.numpy()[expected])  # digits are not standardized
        assert cell.images.shape == (len(expected), 8, 8)


def test_the_list_is_bounded_but_the_count_is_not(digits_run):
    matrix = score_split(digits_run).matrix(10)
    fullest = int(np.argmax(np.diag(matrix)))
    cell = samples_in_cell(digits_run, fullest, fullest, limit=4)
    assert len(cell.indices) == 4 and cell.total == matrix[fullest, fullest] > 4
    assert cell.class_names == list(digits_run.data.class_names)


def test_a_class_out_of_range_and_a_non_classifier_are_refused(digits_run, tmp_path):
    with pytest.raises(IndexError, match="true class 10 is out of range: the run has 10 classes"):
        samples_in_cell(digits_run, 10, 0)
    graph = make_mlp(4)
    graph.nodes["data"].params["dataset"] = "diabetes"
    graph.nodes["fc2"].params["out_features"] = 1
    graph.nodes["loss"].type_id = "losses.MSE"
    graph.nodes["loss"].params = {}
    graph.training.update({"epochs": 1})
    save_graph(graph, tmp_path / "g.json")
    assert cli(["train", str(tmp_path / "g.json"), "--out", str(tmp_path / "run")]) == 0
    with pytest.raises(RunReadError, match="not a classifier"):
        score_split(load_trained_run(tmp_path / "run"))
