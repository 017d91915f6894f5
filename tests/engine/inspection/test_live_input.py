"""Trying one's own input on a trained run: the probabilities equal a direct forward pass."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli import main as cli
from engine.graph import save_graph
from engine.inspection.live_input import (
    InputError,
    features_to_sample,
    frame_drawing,
    image_file_to_sample,
    image_to_sample,
    predict,
    to_image_layout,
)
from engine.inspection.trained import RunReadError, load_trained_run
from tests.engine.conftest import make_mlp


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    graph = make_mlp(16)
    graph.training.update({"epochs": 3, "seed": 3})
    save_graph(graph, folder / "g.json")
    assert cli(["train", str(folder / "g.json"), "--out", str(folder / "run")]) == 0
    return load_trained_run(folder / "run")


def test_a_drawn_digit_gives_the_probabilities_of_a_direct_forward_pass(digits_run):
    drawing = np.zeros((80, 80), dtype=np.float32)
    drawing[10:70, 30:50] = 1.0  # a "1", drawn ten times the dataset's size
    sample = image_to_sample(digits_run, drawing)
    assert sample.shape == (64,)
    picture = to_image_layout(digits_run, sample)
    assert picture.shape == (8, 8)
    np.testing.assert_allclose(picture[1:7, 3:5], 1.0, atol=1e-6)  # the stroke, at the dataset's brightest
    assert picture[0].max() == 0.0 and picture[:, :3].max() == 0.0
    result = predict(digits_run, sample)
    # the same by hand: the digits are pixels 0..1 (not standardized); run the modules, softmax
    data = digits_run.data
    assert data.feature_mean is None
    x = torch.from_numpy(sample).reshape(1, 64)
    m = digits_run.modules
    with torch.no_grad():
        logits = m.fc2(m.relu1(m.fc1(x)))
    np.testing.assert_allclose(result.probabilities, torch.softmax(logits, 1)[0].numpy(), rtol=1e-5, atol=1e-6)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.predicted == int(logits.argmax())
    assert result.predicted_name == data.class_names[result.predicted]
    assert set(result.activations) >= {"fc1", "relu1", "fc2"}
    np.testing.assert_allclose(result.activations["fc2"], logits[0].numpy(), rtol=1e-5, atol=1e-6)
    assert result.activations["relu1"].min() >= 0


def test_a_validation_image_round_trips_to_its_own_prediction(digits_run):
    data = digits_run.data
    raw = digits_run.raw_x(data.val_x[:1])[0].numpy()
    picture = to_image_layout(digits_run, raw)
    again = image_to_sample(digits_run, picture)  # same size: area resizing changes nothing
    np.testing.assert_allclose(again, raw, atol=1e-5)
    with torch.no_grad():
        direct = torch.softmax(digits_run.run(data.val_x[:1], ["fc2"])["fc2"], 1)[0].numpy()
    np.testing.assert_allclose(predict(digits_run, again).probabilities, direct, atol=1e-5)


def test_a_small_drawing_in_a_corner_is_framed_like_the_dataset_digits():
    pad = np.zeros((200, 200), dtype=np.float32)
    pad[10:50, 20:30] = 1.0  # a short "1" up in the left corner
    framed = frame_drawing(pad, margin=0.1)
    assert framed.shape == (50, 50)  # the ink's 40 rows are 80 % of the side
    rows, cols = np.flatnonzero(framed.max(axis=1)), np.flatnonzero(framed.max(axis=0))
    assert (rows[0], rows[-1]) == (5, 44) and (cols[0], cols[-1]) == (20, 29)  # centred both ways
    assert frame_drawing(np.zeros((9, 9))).shape == (9, 9)  # nothing drawn: left alone


def test_an_image_file_dark_on_light_is_read_as_ink(digits_run, tmp_path):
    page = np.full((40, 40), 255, dtype=np.uint8)
    page[5:35, 15:25] = 0  # black ink on white paper, two of the 8x8 columns wide
    Image.fromarray(page).save(tmp_path / "one.png")
    sample = to_image_layout(digits_run, image_file_to_sample(digits_run, tmp_path / "one.png"))
    assert sample[:, 0].max() < 0.05 and sample[2:6, 3:5].min() > 0.5  # turned round: bright ink on black
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(InputError, match="bad.png"):
        image_file_to_sample(digits_run, tmp_path / "bad.png")


def test_typed_features_must_be_as_many_as_the_dataset_has(digits_run):
    assert features_to_sample(digits_run, list(range(64))).shape == (64,)
    with pytest.raises(InputError, match="expected 64 feature values, received 3"):
        features_to_sample(digits_run, [1, 2, 3])
    with pytest.raises(InputError, match="finite"):
        features_to_sample(digits_run, [float("nan")] * 64)


def test_typed_features_are_standardized_as_the_training_data_were(tmp_path):
    graph = make_mlp(8)
    graph.nodes["data"].params["dataset"] = "iris"
    graph.nodes["fc2"].params["out_features"] = 3
    graph.training.update({"epochs": 2, "seed": 1})
    save_graph(graph, tmp_path / "g.json")
    assert cli(["train", str(tmp_path / "g.json"), "--out", str(tmp_path / "run")]) == 0
    run = load_trained_run(tmp_path / "run")
    typed = [5.1, 3.5, 1.4, 0.2]  # a setosa, in centimetres
    result = predict(run, features_to_sample(run, typed))
    x = (torch.tensor([typed]) - run.data.feature_mean) / run.data.feature_std
    with torch.no_grad():
        direct = torch.softmax(run.modules.fc2(run.modules.relu1(run.modules.fc1(x))), 1)[0].numpy()
    np.testing.assert_allclose(result.probabilities, direct, atol=1e-6)
    assert result.class_names == list(run.data.class_names) and len(result.class_names) == 3


def test_a_folder_that_is_not_a_finished_run_is_one_readable_error(tmp_path, digits_run):
    with pytest.raises(RunReadError, match="not a run folder"):
        load_trained_run(tmp_path)
    changed = tmp_path / "changed"
    shutil.copytree(digits_run.folder, changed)
    record = json.loads((changed / "run.json").read_text())
    next(n for n in record["graph"]["nodes"] if n["id"] == "fc1")["params"]["out_features"] = 17
    (changed / "run.json").write_text(json.dumps(record))
    with pytest.raises(RunReadError, match="do not fit this graph"):  # weights of another graph
        load_trained_run(changed)
    next(n for n in record["graph"]["nodes"] if n["id"] == "data")["params"]["no_such_setting"] = 1
    (changed / "run.json").write_text(json.dumps(record))
    with pytest.raises(RunReadError, match=r"run.json: its graph cannot be rebuilt: .*no_such_setting"):
        load_trained_run(changed)
