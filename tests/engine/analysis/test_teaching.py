"""Teaching warnings (engine/analysis/teaching.py): each fires on the mistake it teaches, says what,
why and the fix, its quick fix removes it, and it stays quiet on the graphs that are fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis import analyze
from engine.analysis.fixes import apply_fix
from engine.graph import Graph, load_graph
from engine.registry.fixes import InsertNode, RemoveNode

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def chain(graph: Graph, start: tuple[str, str], *nodes: tuple[str, str, dict]) -> tuple[str, str]:
    previous = start
    for node_id, type_id, params in nodes:
        graph.add_node(type_id, params, node_id=node_id)
        graph.connect(*previous, node_id, "in")
        previous = (node_id, "out")
    return previous


def trained(graph: Graph, prediction: tuple[str, str], loss: str = "losses.CrossEntropy") -> Graph:
    graph.add_node(loss, node_id="loss")
    graph.connect(*prediction, "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def squashed_before(squash: str, loss: str, dataset: str = "digits_flat", classes: int = 10) -> Graph:
    """data -> fc1 -> ReLU -> fc2 -> `squash` -> `loss`."""
    graph = Graph(name="squashed")
    graph.add_node("data.Dataset", {"dataset": dataset}, node_id="data")
    out = chain(
        graph,
        ("data", "x"),
        ("fc1", "layers.Linear", {"out_features": 16}),
        ("relu", "activations.ReLU", {}),
        ("fc2", "layers.Linear", {"out_features": classes}),
        ("squash", squash, {}),
    )
    return trained(graph, out, loss)


def linear_pair(between: tuple[str, ...] = (), middle: int = 32) -> Graph:
    """data (64 features) -> fc1 (middle) -> [between] -> fc2 (16) -> ReLU -> out (10)."""
    graph = Graph(name="pair")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    steps = [("fc1", "layers.Linear", {"out_features": middle})]
    steps += [(f"mid{i}", type_id, {}) for i, type_id in enumerate(between)]
    steps += [
        ("fc2", "layers.Linear", {"out_features": 16}),
        ("relu", "activations.ReLU", {}),
        ("out", "layers.Linear", {"out_features": 10}),
    ]
    return trained(graph, chain(graph, ("data", "x"), *steps))


def sigmoid_stack(depth: int = 4, activation: str = "activations.Sigmoid", norm_after: int | None = None) -> Graph:
    """data -> (Linear -> activation) x depth -> Linear(10), a BatchNorm after layer `norm_after`."""
    graph = Graph(name="stack")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    steps = []
    for i in range(1, depth + 1):
        steps.append((f"fc{i}", "layers.Linear", {"out_features": 16}))
        if i == norm_after:
            steps.append((f"bn{i}", "layers.BatchNorm1d", {}))
        steps.append((f"act{i}", activation, {}))
    steps.append(("out", "layers.Linear", {"out_features": 10}))
    return trained(graph, chain(graph, ("data", "x"), *steps))


def warnings_of(graph: Graph) -> list:
    return [p for p in analyze(graph).problems if p.severity == "warning"]


@pytest.mark.parametrize(
    ("squash", "loss", "dataset", "classes", "applies"),
    [
        ("activations.Softmax", "losses.CrossEntropy", "digits_flat", 10, "probabilities"),
        ("activations.Sigmoid", "losses.BCEWithLogits", "breast_cancer", 1, "probabilities"),
    ],
)
def test_a_squash_before_a_loss_that_squashes_itself_is_taught_and_removed(squash, loss, dataset, classes, applies):
    graph = squashed_before(squash, loss, dataset, classes)
    [problem] = warnings_of(graph)
    assert problem.node_id == "squash" and problem.fix == RemoveNode("squash")
    # what, why and the fix, in the one sentence the Problems panel shows
    assert applies in problem.message and "logits" in problem.message and "squashes them itself" in problem.message
    assert "learning stalls" in problem.message and problem.hint.startswith("remove `squash`")
    apply_fix(graph, problem.fix)
    assert "squash" not in graph.nodes
    assert {(e.src, e.dst_port) for e in graph.edges_into("loss")} == {("fc2", "prediction"), ("data", "target")}
    assert warnings_of(graph) == [] and analyze(graph).ok


def test_a_softmax_feeding_a_loss_that_wants_probabilities_is_fine():
    graph = squashed_before("activations.Softmax", "losses.MSE", dataset="iris", classes=3)
    assert not any(p.node_id == "squash" for p in analyze(graph).problems)


def test_two_linear_layers_without_an_activation_are_taught_through_dropout_and_flatten():
    graph = linear_pair(between=("layers.Dropout", "layers.Flatten"))
    [problem] = warnings_of(graph)
    assert problem.node_id == "fc2" and problem.fix == InsertNode("activations.ReLU", node="fc2")
    assert "follows Linear `fc1` with no activation between them (only `mid0`, `mid1`)" in problem.message
    assert "one linear function" in problem.message
    [added] = apply_fix(graph, problem.fix)
    assert graph.nodes[added].type_id == "activations.ReLU" and graph.predecessors("fc2") == [added]
    assert warnings_of(graph) == []


def test_a_bottleneck_between_two_linear_layers_is_a_deliberate_low_rank_code():
    assert warnings_of(linear_pair(middle=2)) == []  # 64 -> 2 -> 16: an autoencoder's code


def test_four_saturating_activations_in_a_row_are_taught_once_on_the_fourth():
    graph = sigmoid_stack(6, "activations.Tanh")
    [problem] = warnings_of(graph)
    assert problem.node_id == "act4"
    assert "4th saturating activation in a row (`act1`, `act2`, `act3`, `act4`)" in problem.message
    assert "BatchNorm" in problem.message and "vanish" in problem.message
    apply_fix(graph, problem.fix)
    assert warnings_of(graph) == []


@pytest.mark.parametrize(
    "graph",
    [sigmoid_stack(3), sigmoid_stack(5, norm_after=3), sigmoid_stack(6, "activations.ReLU")],
    ids=["three", "normalized", "relu"],
)
def test_fewer_than_four_or_normalized_or_non_saturating_stacks_are_quiet(graph):
    assert warnings_of(graph) == []


def test_a_residual_path_around_the_sigmoids_keeps_the_count_low():
    graph = sigmoid_stack(4)
    graph.disconnect(next(e for e in graph.edges if e.dst == "out"))
    graph.add_node("merge.Add", node_id="skip")
    graph.connect("act4", "out", "skip", "a")
    graph.connect("act1", "out", "skip", "b")
    graph.connect("skip", "out", "out", "in")
    graph.add_node("activations.Sigmoid", node_id="act5")
    graph.disconnect(next(e for e in graph.edges if e.dst == "out"))
    graph.connect("skip", "out", "act5", "in")
    graph.connect("act5", "out", "out", "in")
    problems = warnings_of(graph)
    assert [p.node_id for p in problems] == ["act4"]  # act5 sits 2 sigmoids from the data through the skip


def test_no_shipped_example_gets_a_teaching_warning():
    for path in sorted(EXAMPLES.glob("*.json")):
        assert warnings_of(load_graph(path)) == [], path.name
