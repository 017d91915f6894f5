"""The opaque PyTorch module node is rebuilt from data: a torch.nn class name and JSON arguments, nothing else."""

from __future__ import annotations

import pytest

from engine.analysis import analyze
from engine.graph import Graph
from engine.nodes.layers.torch_module import torch_layer_class


def _graph(**params) -> Graph:
    graph = Graph(name="kept")
    graph.add_node("data.Input", {"shape": [4, 6, 6]}, node_id="x")
    graph.add_node("layers.TorchModule", params, node_id="kept")
    graph.connect("x", "out", "kept", "in")
    return graph


def _problem(graph: Graph) -> str:
    errors = analyze(graph).errors
    assert errors, "expected a problem on the kept module"
    return str(errors[0])


def test_a_name_that_is_not_a_torch_layer_class_is_refused_before_building():
    assert "not a torch.nn layer class" in _problem(_graph(module="Sequential"))
    assert "not a torch.nn layer class" in _problem(_graph(module="os.system"))
    for name in ("Sequential", "Module", "functional", "init", "utils"):
        with pytest.raises(ValueError, match="torch.nn has no layer class"):
            torch_layer_class(name)


def test_arguments_are_json_and_nothing_else():
    assert "constructor arguments are not JSON" in _problem(_graph(arguments="dict(num_groups=2)"))
    assert "must be a JSON object" in _problem(_graph(arguments="[2, 4]"))


def test_another_input_shape_is_explained_not_guessed():
    graph = _graph(in_shape=[8, 6, 6], out_shape=[8, 6, 6])
    assert "gets [B, 4, 6, 6] but was imported for [B, 8, 6, 6]" in _problem(graph)
