"""Quick fixes: every kind the engine offers resolves its problem; stale fixes are refused clearly."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

import pytest

from engine.analysis import analyze
from engine.analysis.fixes import apply_fix, locate
from engine.graph import Graph, GraphError
from engine.registry import fixes
from engine.registry.fixes import QUICK_FIXES, AddNode, Connect, InsertNode, RemoveNode, SetParam, SetUpstreamParam
from tests.engine.analysis.test_teaching import linear_pair, sigmoid_stack, squashed_before
from tests.engine.conftest import make_mlp

# `engine.analysis.analyze` is also the name of the function the package exports
analyze_module = importlib.import_module("engine.analysis.analyze")


def _image_into_linear() -> Graph:
    graph = make_mlp()
    graph.nodes["data"].params["dataset"] = "digits_images"
    return graph


def _flat_into_conv() -> Graph:
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    graph.add_node("layers.Conv2d", {"out_channels": 4}, node_id="conv")
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "conv", "in"),
        ("conv", "out", "flat", "in"),
        ("flat", "out", "fc", "in"),
        ("fc", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    return graph


def _target_unconnected() -> Graph:
    graph = make_mlp()
    graph.disconnect(next(e for e in graph.edges if e.dst_port == "target"))
    return graph


def _seven_classes_for_ten() -> Graph:
    graph = make_mlp()
    graph.nodes["fc2"].params["out_features"] = 7
    return graph


def _seven_classes_through_dropout() -> Graph:
    graph = _seven_classes_for_ten()
    graph.disconnect(next(e for e in graph.edges if e.dst_port == "prediction"))
    graph.add_node("layers.Dropout", node_id="drop")
    graph.connect("fc2", "out", "drop", "in")
    graph.connect("drop", "out", "loss", "prediction")
    return graph


def _regression_with_three_outputs() -> Graph:
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "diabetes"}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 3}, node_id="fc")
    graph.add_node("losses.MSE", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "fc", "in"),
        ("fc", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    return graph


def _loss_without_optimizer() -> Graph:
    graph = make_mlp()
    graph.remove_node("adam")
    return graph


def _optimizer_without_loss() -> Graph:
    graph = make_mlp()
    graph.disconnect(next(e for e in graph.edges if e.dst == "adam"))
    return graph


def _softmax_before_cross_entropy() -> Graph:
    return squashed_before("activations.Softmax", "losses.CrossEntropy")


@dataclasses.dataclass(frozen=True)
class Case:
    build: Callable[[], Graph]
    node_id: str  # the node the problem is reported on
    kinds: frozenset[type]  # fix classes the case exercises: raised by a shape rule, then offered
    offered: object  # the fix the problem must offer
    severity: str = "error"


CASES = {
    "remove_softmax_before_cross_entropy": Case(
        _softmax_before_cross_entropy, "squash", frozenset({RemoveNode}), RemoveNode("squash"), severity="warning"
    ),
    "insert_relu_between_linears": Case(
        linear_pair, "fc2", frozenset({InsertNode}), InsertNode("activations.ReLU", node="fc2"), severity="warning"
    ),
    "insert_batchnorm_in_a_sigmoid_stack": Case(
        sigmoid_stack, "act4", frozenset({InsertNode}), InsertNode("layers.BatchNorm1d", node="act4"), "warning"
    ),
    "insert_flatten": Case(
        _image_into_linear, "fc1", frozenset({InsertNode}), InsertNode("layers.Flatten", node="fc1")
    ),
    "insert_reshape": Case(
        _flat_into_conv,
        "conv",
        frozenset({InsertNode}),
        InsertNode("layers.Reshape", params={"shape": [1, 8, 8]}, node="conv"),
    ),
    "connect_target": Case(_target_unconnected, "loss", frozenset({Connect}), Connect("data", "y", "loss", "target")),
    "add_optimizer_after_loss": Case(
        _loss_without_optimizer,
        "loss",
        frozenset({AddNode}),
        AddNode("optimizers.Adam", "loss", "loss", "losses"),
        severity="warning",
    ),
    "connect_loss_to_idle_optimizer": Case(
        _optimizer_without_loss, "adam", frozenset({Connect}), Connect("loss", "loss", "adam", "losses")
    ),
    "set_class_count": Case(
        _seven_classes_for_ten, "loss", frozenset({SetUpstreamParam, SetParam}), SetParam("fc2", "out_features", 10)
    ),
    "set_class_count_through_dropout": Case(
        _seven_classes_through_dropout,
        "loss",
        frozenset({SetUpstreamParam, SetParam}),
        SetParam("fc2", "out_features", 10),
    ),
    "set_regression_outputs": Case(
        _regression_with_three_outputs,
        "loss",
        frozenset({SetUpstreamParam, SetParam}),
        SetParam("fc", "out_features", 1),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_every_quick_fix_kind_resolves_its_problem(name, monkeypatch):
    case = CASES[name]
    graph = case.build()
    raised: list[type] = []

    def spying_locate(fix, *args):
        raised.append(type(fix))
        return locate(fix, *args)

    monkeypatch.setattr(analyze_module, "locate", spying_locate)
    problem = next(p for p in analyze(graph).problems if p.node_id == case.node_id and p.fix is not None)
    assert problem.severity == case.severity
    assert problem.fix == case.offered
    assert {*raised, type(problem.fix)} == case.kinds
    assert problem.fix.describe()

    apply_fix(graph, problem.fix)

    after = analyze(graph)
    assert [p for p in after.problems if p.severity != "info"] == [], [str(p) for p in after.problems]
    assert problem.message not in [p.message for p in after.problems]


def test_every_fix_class_has_a_case():
    defined = {
        value
        for value in vars(fixes).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == fixes.__name__
    }
    exercised = set().union(*(case.kinds for case in CASES.values()))
    assert defined == exercised
    assert set(QUICK_FIXES) <= exercised


def test_buttons_say_what_the_fix_does():
    assert InsertNode("layers.Flatten", node="fc1").describe() == "Insert Flatten"
    assert (
        InsertNode("layers.Reshape", port="target", params={"shape": [1]}).describe()
        == "Insert Reshape (shape [1]) on target"
    )
    assert Connect("data", "y", "loss", "target").describe() == "Connect data.y to loss.target"
    assert SetParam("fc2", "out_features", 10).describe() == "Set fc2.out_features to 10"
    assert AddNode("optimizers.Adam", "loss", "loss", "losses").describe() == "Add Adam after loss"


def test_no_set_param_fix_when_nothing_upstream_owns_the_param():
    graph = make_mlp()
    graph.disconnect(next(e for e in graph.edges if e.dst_port == "prediction"))
    graph.connect("data", "x", "loss", "prediction")  # 64 scores for 10 classes, straight from the data
    [problem] = [p for p in analyze(graph).errors if p.node_id == "loss"]
    assert "set out_features" in problem.hint
    assert problem.fix is None


def test_no_set_param_fix_across_a_node_that_changes_the_shape():
    """fc2 [B, 14] -> [B, 1, 14] -> pool -> [B, 1, 7] -> flatten [B, 7]: out_features 10 would not give 10."""
    graph = make_mlp()
    graph.nodes["fc2"].params["out_features"] = 14
    graph.disconnect(next(e for e in graph.edges if e.dst_port == "prediction"))
    graph.add_node("layers.Reshape", {"shape": [1, 14]}, node_id="rs")
    graph.add_node("layers.MaxPool1d", node_id="pool")
    graph.add_node("layers.Flatten", node_id="flat")
    for edge in (("fc2", "out", "rs", "in"), ("rs", "out", "pool", "in"), ("pool", "out", "flat", "in")):
        graph.connect(*edge)
    graph.connect("flat", "out", "loss", "prediction")
    [problem] = analyze(graph).errors
    assert "gets 7 scores per sample" in problem.message
    assert problem.fix is None


@pytest.mark.parametrize(
    ("fix", "says"),
    [
        (SetParam("fc2", "out_features", 0), "cannot set fc2.out_features: must be at least 1"),
        (SetParam("fc2", "out_features", "ten"), "expected a whole number"),
        (SetParam("relu1", "out_features", 10), "ReLU `relu1` has no parameter 'out_features'"),
        (SetParam("ghost", "out_features", 10), "no node `ghost`"),
        (Connect("data", "y", "loss", "target"), "`loss.target` is connected already"),
        (Connect("fc2", "out", "fc1", "in"), "`fc1.in` is connected already"),
        (InsertNode("layers.Flatten", node="ghost"), "no node `ghost`"),
        (InsertNode("layers.Reshape", params={"shape": "flat"}, node="fc1"), "cannot insert Reshape"),
        (
            InsertNode("layers.Flatten", port="prediction", node="fc1"),
            "`fc1.prediction` no longer has exactly one edge",
        ),
        (SetUpstreamParam("prediction", "out_features", 10), "must be located first"),
        (AddNode("optimizers.Adam", "ghost", "loss", "losses"), "no node `ghost`"),
        (AddNode("optimizers.Adam", "loss", "out", "losses"), "has no output `out`"),
        (AddNode("optimizers.Adam", "loss", "loss", "in"), "Adam has no input `in`"),
    ],
)
def test_a_fix_that_no_longer_fits_is_refused_and_changes_nothing(fix, says):
    graph = make_mlp()
    before = graph.copy()
    with pytest.raises(GraphError) as refused:
        apply_fix(graph, fix)
    assert says in str(refused.value)
    assert graph == before


def test_connect_fix_refuses_a_cycle():
    graph = make_mlp()
    graph.disconnect(next(e for e in graph.edges if e.dst == "fc1"))
    with pytest.raises(GraphError, match="would make a cycle"):
        apply_fix(graph, Connect("fc2", "out", "fc1", "in"))


def test_inserting_makes_room_downstream():
    graph = _image_into_linear()
    for index, node_id in enumerate(graph.nodes):
        graph.nodes[node_id].ui.update(x=100.0 * index, y=0.0)
    fc1_x = graph.nodes["fc1"].ui["x"]
    [problem] = analyze(graph).errors
    [added] = apply_fix(graph, problem.fix)
    assert graph.nodes[added].ui["x"] == fc1_x
    assert graph.nodes["fc1"].ui["x"] > fc1_x and graph.nodes["adam"].ui["x"] > 500.0
    assert graph.nodes["data"].ui["x"] == 0.0


def test_added_optimizer_lands_right_of_the_loss_in_free_space():
    graph = _loss_without_optimizer()
    graph.nodes["loss"].ui.update(x=600.0, y=0.0)
    graph.add_node("layers.Linear", node_id="blocker", ui={"x": 815.0, "y": 10.0})
    [added] = apply_fix(graph, AddNode("optimizers.Adam", "loss", "loss", "losses"))
    x, y = graph.nodes[added].ui["x"], graph.nodes[added].ui["y"]
    assert x > 600.0 and (y > 10.0 + 97.0 or y + 97.0 < 10.0), (x, y)
    assert graph.predecessors(added) == ["loss"]


def test_no_optimizer_fix_when_the_choice_is_the_users():
    """Two optimizers, each with its loss (a GAN): a third loss could belong to either."""
    graph = make_mlp()
    graph.add_node("optimizers.SGD", node_id="sgd")
    graph.add_node("losses.MSE", node_id="extra")
    graph.connect("loss", "loss", "sgd", "losses")
    graph.connect("fc2", "out", "extra", "prediction")
    graph.connect("fc2", "out", "extra", "target")
    [problem] = [p for p in analyze(graph).problems if p.node_id == "extra" and "optimizer" in p.message]
    assert problem.fix is None
