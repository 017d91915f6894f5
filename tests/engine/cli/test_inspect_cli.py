"""`python -m engine inspect`: a PNG per view (exit 0); a bad folder, node or epoch is one line and exit 2."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from engine.cli import main as cli
from engine.graph import Graph, save_graph
from engine.inspection import InspectionStore
from engine.inspection.replay import load_epoch_weights
from engine.inspection.trained import load_trained_run
from tests.engine.inspection.test_recorder import make_cnn

PNG = b"\x89PNG\r\n\x1a\n"


def make_moons_mlp() -> Graph:
    graph = Graph(name="moons")
    graph.add_node("data.Dataset", {"dataset": "moons", "num_samples": 200}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 4}, node_id="fc1")
    graph.add_node("activations.Tanh", node_id="act1")
    graph.add_node("layers.Linear", {"out_features": 2}, node_id="fc2")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", {"lr": 0.03}, node_id="adam")
    for edge in (
        ("data", "x", "fc1", "in"),
        ("fc1", "out", "act1", "in"),
        ("act1", "out", "fc2", "in"),
        ("fc2", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    return graph


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inspect")
    made = {}
    for name, graph in (("cnn", make_cnn()), ("moons", make_moons_mlp())):
        graph.training.update({"epochs": 2, "seed": 1, "inspect_every": 1})
        save_graph(graph, folder / f"{name}.json")
        out = folder / f"{name}_run"
        assert cli(["train", str(folder / f"{name}.json"), "--out", str(out), "--no-progress"]) == 0
        made[name] = out
    return made


@pytest.mark.parametrize(
    ("run", "what", "node"),
    [
        ("cnn", "activations", "conv1"),
        ("cnn", "activations", "fc"),
        ("cnn", "weights", "conv1"),
        ("cnn", "histogram", "bn1"),
        ("cnn", "saliency", None),
        ("moons", "projection", "act1"),
        ("moons", "boundary", None),
        ("moons", "weights", "fc1"),
    ],
)
def test_each_view_writes_a_png(runs, tmp_path, capsys, run, what, node):
    out = tmp_path / f"{what}.png"
    args = ["inspect", str(runs[run]), "--what", what, "-o", str(out)] + (["--node", node] if node else [])
    assert cli(args) == 0
    assert out.read_bytes().startswith(PNG)
    assert capsys.readouterr().out.strip() == f"wrote {out}"


def test_an_earlier_epoch_is_drawn_from_its_recorded_weights(runs, tmp_path):
    assert (
        cli(["inspect", str(runs["moons"]), "--what", "boundary", "--epoch", "0", "-o", str(tmp_path / "b.png")]) == 0
    )
    run, store = load_trained_run(runs["moons"]), InspectionStore(runs["moons"])
    probe = torch.from_numpy(store.probe().inputs)
    load_epoch_weights(run, store, 0)  # replaying the finished run at its first recorded epoch
    np.testing.assert_allclose(run.run(probe, ["fc2"])["fc2"].numpy(), store.read(0, "fc2").logits, atol=1e-6)
    load_epoch_weights(run, store, 2)
    np.testing.assert_allclose(run.run(probe, ["fc2"])["fc2"].numpy(), store.read(2, "fc2").logits, atol=1e-6)


def test_a_run_still_training_is_drawn_at_its_recorded_epochs(runs, tmp_path, capsys):
    live = tmp_path / "live"
    shutil.copytree(runs["moons"], live)
    (live / "weights.safetensors").unlink()  # written when the run ends
    assert cli(["inspect", str(live), "--what", "boundary", "--epoch", "1", "-o", str(tmp_path / "b.png")]) == 0
    assert cli(["inspect", str(live), "--what", "boundary", "-o", str(tmp_path / "c.png")]) == 2
    assert "no trained weights yet" in capsys.readouterr().err


def test_a_run_without_a_recording_still_gives_projections_and_decision_maps(tmp_path, capsys):
    graph = make_moons_mlp()
    graph.training.update({"epochs": 1, "inspect": False})
    save_graph(graph, tmp_path / "g.json")
    assert cli(["train", str(tmp_path / "g.json"), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    run = str(tmp_path / "run")
    assert cli(["inspect", run, "--what", "boundary", "-o", str(tmp_path / "b.png")]) == 0
    assert cli(["inspect", run, "--what", "projection", "--node", "act1", "-o", str(tmp_path / "p.png")]) == 0
    capsys.readouterr()
    assert cli(["inspect", run, "--what", "projection", "--node", "act2", "-o", str(tmp_path / "q.png")]) == 2
    assert capsys.readouterr().err.startswith("error: the run's graph has no node 'act2'; did you mean act1")
    assert cli(["inspect", run, "--what", "weights", "--node", "fc1", "-o", str(tmp_path / "w.png")]) == 2
    assert "no inspection recorded" in capsys.readouterr().err


def test_without_what_it_lists_the_recording(runs, capsys):
    assert cli(["inspect", str(runs["cnn"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("recorded epochs: 0, 1, 2")
    assert "conv1" in out and "bn_stats" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--node", "conv9", "--what", "weights"], "error: no node 'conv9' was recorded; did you mean conv1?"),
        (
            ["--node", "conv1", "--what", "weights", "--epoch", "7"],
            "error: epoch 7 was not recorded; nearest recorded: 2",
        ),
        (["--what", "weights"], "error: --what weights needs --node (recorded: conv1, bn1,"),
        (["--node", "relu1", "--what", "weights"], "error: relu1: this node has no weights"),
    ],
)
def test_a_bad_node_or_epoch_is_one_line_and_exit_2(runs, tmp_path, capsys, args, message):
    assert cli(["inspect", str(runs["cnn"]), *args, "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_a_folder_without_a_run_or_a_recording_is_exit_2(tmp_path, capsys):
    assert cli(["inspect", str(tmp_path / "missing"), "--node", "fc", "--what", "weights", "-o", "x.png"]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path / 'missing'}: no run folder (expected {tmp_path / 'missing' / 'inspection' / 'index.json'})\n"
    )
    (tmp_path / "inspection").mkdir()
    (tmp_path / "inspection" / "index.json").write_text("{not json")
    assert cli(["inspect", str(tmp_path)]) == 2
    assert "not a readable inspection index" in capsys.readouterr().err


def test_a_boundary_of_image_inputs_is_refused_in_one_line(runs, tmp_path, capsys):
    assert cli(["inspect", str(runs["cnn"]), "--what", "boundary", "-o", str(tmp_path / "b.png")]) == 2
    assert capsys.readouterr().err == "error: a decision map needs 2 input features; this model takes [1, 8, 8]\n"


def test_grad_cam_on_a_layer_without_feature_maps_is_one_line_and_exit_2(runs, tmp_path, capsys):
    # fc follows Flatten: its output has no height and width for Grad-CAM to place on the picture
    assert cli(["inspect", str(runs["cnn"]), "--node", "fc", "--what", "saliency", "-o", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: node 'fc': Grad-CAM needs a layer whose output has a height and a width")
    assert err.count("\n") == 1 and not (tmp_path / "s.png").exists()
    assert (
        cli(["inspect", str(runs["cnn"]), "--node", "conv1", "--what", "saliency", "-o", str(tmp_path / "s.png")]) == 0
    )
