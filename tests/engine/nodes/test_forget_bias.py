"""The LSTM's `forget_bias` (engine/registry/weight_init.py): applied after `init`, in every layer and
direction, and written by the `python` export so the generated model starts from the same weights."""

from __future__ import annotations

import pytest
import torch

from engine.compiler import class_name
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph

HIDDEN = 6


def lstm_graph(**params) -> Graph:
    graph = Graph(name="memory")
    graph.add_node("data.Input", {"shape": [5, 4]}, node_id="x")
    graph.add_node("layers.LSTM", {"hidden_size": HIDDEN, **params}, node_id="node")
    graph.connect("x", "out", "node", "in")
    return graph


def biases(graph: Graph, seed: int = 7) -> dict[str, torch.Tensor]:
    module = model_part(graph, "node", seed=seed).program.node
    return {name: t.detach().clone() for name, t in module.named_parameters() if name.startswith("bias")}


def forget(tensor: torch.Tensor) -> torch.Tensor:
    return tensor[HIDDEN : 2 * HIDDEN]


def test_forget_bias_shifts_only_the_forget_gates_of_every_layer_and_direction():
    layout = {"num_layers": 2, "bidirectional": True}
    drawn, shifted = biases(lstm_graph(**layout)), biases(lstm_graph(**layout, forget_bias=2.5))
    assert len(drawn) == 8  # ih and hh, 2 layers, 2 directions
    for name, tensor in shifted.items():
        expected = drawn[name].clone()
        if name.startswith("bias_ih"):
            expected[HIDDEN : 2 * HIDDEN] += 2.5
        torch.testing.assert_close(tensor, expected, rtol=0, atol=1e-6, msg=name)


@pytest.mark.parametrize("init", ["default", "he_normal", "zeros"])
def test_the_forget_bias_survives_the_init_and_the_python_export_starts_from_the_same_weights(init):
    graph = lstm_graph(init=init, forget_bias=1.0)
    part = model_part(graph, "node", seed=7)
    if init != "default":  # the init zeroes biases; the forget bias is applied after it
        assert torch.equal(forget(part.program.node.bias_ih_l0), torch.ones(HIDDEN))
    source = python_source(part, "w.safetensors")
    assert "shift_forget_gates(" in source
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), namespace)
    torch.manual_seed(7)
    generated = namespace[class_name(graph.name)]()
    for key, tensor in part.program.state_dict().items():
        torch.testing.assert_close(generated.state_dict()[key], tensor, rtol=0, atol=0, msg=key)


def test_no_forget_bias_leaves_the_export_untouched():
    assert "shift_forget_gates" not in python_source(model_part(lstm_graph(), "node"), "w.safetensors")
