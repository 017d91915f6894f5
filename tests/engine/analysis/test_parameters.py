"""Parameter counts (the command line's summary and the editor's) equal torch's count of the compiled model."""

from pathlib import Path

import pytest

from engine.analysis import analyze
from engine.analysis.parameters import count_parameters, layers_to_count
from engine.compiler import build_modules
from engine.graph import load_graph

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


@pytest.mark.parametrize(
    "example", ["mlp_digits", "cnn_digits", "cnn_residual_digits", "lstm_digits", "rnn_digits", "gan_ring"]
)
def test_each_layers_count_is_torchs(example):
    graph = load_graph(EXAMPLES / f"{example}.json")
    modules = build_modules(graph)
    torch_counts = {name: sum(p.numel() for p in child.parameters()) for name, child in modules.named_children()}
    counts = count_parameters(graph)
    assert {n: c.total for n, c in counts.items()} == {n: c for n, c in torch_counts.items() if c}
    assert sum(c.total for c in counts.values()) == sum(p.numel() for p in modules.parameters())


def test_a_frozen_layer_counts_but_does_not_train():
    graph = load_graph(EXAMPLES / "mlp_digits.json")
    frozen = next(iter(count_parameters(graph)))
    graph.nodes[frozen].params["trainable"] = False
    count = count_parameters(graph)[frozen]
    assert count.total > 0 and count.trainable == 0 and count.frozen == count.total


def test_layers_with_an_error_or_an_unknown_input_shape_are_not_counted():
    graph = load_graph(EXAMPLES / "mlp_digits.json")
    first, second = [layer.node_id for layer in layers_to_count(graph, analyze(graph))][:2]
    graph.nodes[first].params["out_features"] = 0  # refused by its shape rule: the next layer's input is unknown
    countable = {layer.node_id for layer in layers_to_count(graph, analyze(graph))}
    assert first not in countable and second not in countable


def test_the_cache_key_changes_with_parameters_and_input_shapes():
    graph = load_graph(EXAMPLES / "mlp_digits.json")
    before = {layer.node_id: layer.key for layer in layers_to_count(graph, analyze(graph))}
    first = next(iter(before))
    graph.nodes[first].params["out_features"] += 1
    after = {layer.node_id: layer.key for layer in layers_to_count(graph, analyze(graph))}
    changed = {n for n in before if before[n] != after[n]}
    assert first in changed and len(changed) == 2  # the layer itself and the one it feeds
