"""Layer health: one set of thresholds, and `train` prints which layers' gradients vanish."""

from __future__ import annotations

import math

import pytest

from engine.cli import main
from engine.graph import Graph, save_graph
from engine.training.health import (
    EXPLODING_GRADIENT,
    VANISHING_GRADIENT,
    dead_relu_state,
    final_health,
    gradient_state,
    layer_health,
)


@pytest.mark.parametrize(
    ("norm", "state"),
    [
        (VANISHING_GRADIENT / 10, "vanishing"),
        (VANISHING_GRADIENT, "healthy"),
        (1.0, "healthy"),
        (EXPLODING_GRADIENT, "healthy"),
        (EXPLODING_GRADIENT * 10, "exploding"),
        (math.nan, "exploding"),
        (math.inf, "exploding"),
    ],
)
def test_gradient_states(norm, state):
    assert gradient_state(norm) == state


def test_dead_relu_states():
    assert [dead_relu_state(f) for f in (0.0, 0.19, 0.2, 0.5, 1.0)] == [
        "healthy",
        "healthy",
        "many dead",
        "mostly dead",
        "mostly dead",
    ]


def test_the_line_names_the_sick_layers_and_what_to_try():
    health = layer_health({"grad_norm": {"fc1": 1e-7, "fc2": 0.3, "fc3": 500.0}, "dead_relu": {"relu1": 0.6}})
    line = health.line()
    assert "vanishing in fc1 " in line and "exploding in fc3 " in line and "fc2" not in line
    assert "grad_clip" in line and "relu1 60%" in line
    assert layer_health({"grad_norm": {"fc1": 0.1, "fc2": 0.2}}).line() == "gradients: healthy in all 2 layers"


def test_final_health_reads_the_last_epoch_that_measured_gradients():
    history = [{"grad_norm": {"fc1": 1e-9}}, {"grad_norm": {"fc1": 0.5}}, {"val_loss": 1.0}]
    assert final_health(history).gradients == {"fc1": "healthy"}
    assert final_health([]).line() == "gradients: not measured"


def deep_sigmoid_mlp(depth: int = 8, width: int = 16) -> Graph:
    """digits -> depth x (Linear, Sigmoid) -> Linear(10), trained by SGD: the textbook vanishing stack."""
    graph = Graph(name="deep sigmoid")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    previous = ("data", "x")
    for i in range(1, depth + 1):
        graph.add_node("layers.Linear", {"out_features": width}, node_id=f"fc{i}")
        graph.add_node("activations.Sigmoid", node_id=f"sig{i}")
        graph.connect(*previous, f"fc{i}", "in")
        graph.connect(f"fc{i}", "out", f"sig{i}", "in")
        previous = (f"sig{i}", "out")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.SGD", node_id="sgd")
    for edge in (
        (*previous, "head", "in"),
        ("head", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "sgd", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update(epochs=2, batch_size=64, device="cpu")
    return graph


def test_train_names_the_layers_whose_gradients_vanish(tmp_path, capsys):
    path = tmp_path / "deep.json"
    save_graph(deep_sigmoid_mlp(), path)
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("gradients: vanishing in "), line
    vanishing = line.removeprefix("gradients: vanishing in ").split(" (")[0].split(", ")
    assert vanishing[:2] == ["fc1", "fc2"]  # the layers farthest from the loss suffer most
    assert "fc8" not in vanishing and "head" not in vanishing
