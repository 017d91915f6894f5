"""Small graphs built with the engine API, shared by engine tests."""

from __future__ import annotations

import pytest

from engine.graph import Graph


def make_mlp(hidden: int = 32) -> Graph:
    """digits_flat -> Linear -> ReLU -> Linear(10) -> CrossEntropy -> Adam."""
    graph = Graph(name="digits mlp")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": hidden}, node_id="fc1")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc2")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "fc1", "in"),
        ("fc1", "out", "relu1", "in"),
        ("relu1", "out", "fc2", "in"),
        ("fc2", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    return graph


@pytest.fixture
def mlp() -> Graph:
    return make_mlp()
