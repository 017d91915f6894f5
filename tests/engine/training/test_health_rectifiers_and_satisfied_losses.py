"""Dead units for every activation that can die (read from the registry's `dies` trait), and no
vanishing-gradient alarm for the exactly-zero gradients of a satisfied loss (iris_hinge)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.analysis import analyze
from engine.graph import Graph, load_graph
from engine.registry import catalog
from engine.registry.traits import DIES
from engine.training.diagnostics import DeadReluProbe
from engine.training.health import gradient_state, layer_health
from engine.training.plan import make_plan
from engine.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"
ACTIVATIONS = [t.type_id for t in catalog() if t.category == "activations" and t.role == "op"]
CAN_DIE = [t.type_id for t in catalog() if DIES in t.traits]


def with_activation(type_id: str) -> Graph:
    graph = Graph(name="act")
    graph.add_node("data.Dataset", {"dataset": "iris"}, node_id="data")
    for node_id, kind, params in (
        ("fc1", "layers.Linear", {"out_features": 8}),
        ("act", type_id, {}),
        ("fc2", "layers.Linear", {"out_features": 3}),
    ):
        graph.add_node(kind, params, node_id=node_id)
    graph.connect("data", "x", "fc1", "in")
    graph.connect("fc1", "out", "act", "in")
    graph.connect("act", "out", "fc2", "in")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.connect("fc2", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect("loss", "loss", "adam", "losses")
    graph.training.update(epochs=1, device="cpu")
    return graph


def test_the_rectifiers_that_can_die_are_read_from_the_registry():
    assert {"activations.ReLU", "activations.ReLU6"} <= set(CAN_DIE)
    # a leaky, exponential or smooth unit always passes some gradient: it is never exactly dead
    assert not {"activations.LeakyReLU", "activations.ELU", "activations.GELU", "activations.PReLU"} & set(CAN_DIE)


@pytest.mark.parametrize("type_id", ACTIVATIONS)
def test_the_dead_unit_probe_watches_exactly_the_activations_that_can_die(type_id):
    graph = with_activation(type_id)
    assert analyze(graph).ok
    assert (make_plan(graph).relus == ["act"]) == (type_id in CAN_DIE)


@pytest.mark.parametrize("type_id", CAN_DIE)
def test_a_unit_pushed_below_its_flat_end_is_counted_dead_and_the_others_alive(type_id):
    trainer = Trainer(with_activation(type_id))
    with torch.no_grad():  # units 0-3 always far below zero, 4-7 always well above it
        trainer.modules.fc1.weight.zero_()
        trainer.modules.fc1.bias.copy_(torch.tensor([-50.0] * 4 + [2.0] * 4))
    row = trainer._validate()
    assert row["dead_relu"] == {"act": 0.5}


def test_a_negative_but_sloped_output_is_alive():
    """Hardswish between -3 and 0 gives small negative values with a gradient: not dead."""
    module = torch.nn.Sequential(torch.nn.Hardswish())
    probe = DeadReluProbe(module, ["0"])
    module(torch.full((5, 4), -1.0))
    assert probe.fractions() == {"0": 0.0}
    probe.close()


def test_exactly_zero_gradients_of_a_satisfied_loss_are_not_vanishing():
    assert gradient_state(0.0, silent=1.0) == "satisfied"
    assert gradient_state(0.0, silent=0.5) == "vanishing"  # some steps had gradients and they were 0 here
    assert gradient_state(1e-6) == "vanishing"
    row = {"grad_norm": {"fc1": 0.0, "fc2": 0.0}, "grad_silent": {"fc1": 1.0, "fc2": 1.0}}
    assert layer_health(row).healthy and "the loss is met" in layer_health(row).line()


def test_iris_hinge_shows_no_blue_badge_in_any_epoch():
    """Before: epochs whose sampled steps all met the margin had norm 0 and a blue (vanishing) badge."""
    graph = load_graph(EXAMPLES / "iris_hinge.json")
    graph.training.update(epochs=40, device="cpu")
    history = Trainer(graph).fit().history
    assert any(row.get("grad_silent") for row in history), "the margin is met on some sampled steps"
    for row in history:
        assert "vanishing" not in layer_health(row).gradients.values(), row
