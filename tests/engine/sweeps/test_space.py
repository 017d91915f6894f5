"""Reading and checking what a swept setting may take."""

from __future__ import annotations

import pytest

from engine.sweeps import Experiment, SweepSpecError, apply_values, parse_param
from tests.engine.conftest import make_mlp


@pytest.fixture
def graph():
    return make_mlp()


def test_a_list_a_linear_and_a_log_range(graph):
    widths = parse_param("fc1.out_features=32,64,128", graph)
    assert (widths.kind, widths.values) == ("values", (32, 64, 128))
    lr = parse_param("adam.lr=log:1e-4:1e-1", graph)
    assert (lr.kind, lr.low, lr.high, lr.finite) == ("log", 1e-4, 0.1, False)
    batch = parse_param("training.batch_size=lin:16:64:16", graph)
    assert batch.grid_values() == [16, 32, 48, 64]
    assert parse_param("adam.lr=log:1e-3:1e-1:3", graph).grid_values() == pytest.approx([1e-3, 1e-2, 1e-1])
    assert parse_param("adam.lr=lin:0.1:0.3:0.1", graph).grid_values() == [0.1, 0.2, 0.3]


def test_every_choice_with_a_star(graph):
    assert parse_param("training.schedule=*", graph).values == ("none", "step", "cosine", "plateau")
    assert parse_param("training.early_stopping=*", graph).values == (False, True)


def test_the_text_form_reads_back(graph):
    for text in ("fc1.out_features=32,64", "adam.lr=log:0.0001:0.1", "training.batch_size=lin:16:64:16"):
        swept = parse_param(text, graph)
        assert parse_param(f"{swept.target}={swept.text()}", graph) == swept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nope.lr=0.1", "the graph has no node 'nope'"),
        ("adam.speed=0.1", "node 'adam' has no parameter 'speed'"),
        ("training.speed=1", "the training block has no setting 'speed'"),
        ("adam.beta1=lin:0.5:1.5", "adam.beta1=lin:0.5:1.5: must be at most"),
        ("fc1.out_features=0,32", "must be at least 1, received 0"),
        ("adam.lr=log:1e-4", "a range is log:LOW:HIGH or log:LOW:HIGH:N"),
        ("adam.lr=lin:0.1:oops", "'oops' is not a number"),
        ("adam.lr=lin:0.5:0.1", "low end (0.5) must be below its high end (0.1)"),
        ("training.grad_clip=log:0:1", "must start above 0"),
        ("fc1.out_features=lin:8:64:2.5", "the step must be one too"),
        ("adam.lr=log:1e-4:1e-1:1", "the count must be a whole number of at least 2"),
        ("fc1.out_features=32,,64", "an empty value"),
        ("fc1.out_features=32,32", "listed twice"),
        ("training.schedule=lin:1:2", "a range needs a number"),
        ("training.monitor=val_acc", "only numbers, choices and true/false can be swept"),
        ("adam.lr", "expected TARGET=VALUES"),
        ("lr=0.1", "name a setting as node.param"),
    ],
)
def test_mistakes_are_one_line_naming_the_setting(graph, text, expected):
    with pytest.raises(SweepSpecError) as caught:
        parse_param(text, graph)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def _experiment(graph, *texts, **fields):
    doc = {"name": "exp", "params": [parse_param(t, graph).to_dict() for t in texts], **fields}
    return Experiment.from_dict(doc, graph)


def test_a_grid_covers_every_combination_and_refuses_a_continuous_range(graph):
    experiment = _experiment(graph, "fc1.out_features=8,16", "adam.lr=log:1e-3:1e-1:3", strategy="grid")
    grid = experiment.grid()
    assert len(grid) == 6 and len({tuple(p.items()) for p in grid}) == 6
    assert {p["fc1.out_features"] for p in grid} == {8, 16}
    with pytest.raises(SweepSpecError, match="a grid needs finitely many values"):
        _experiment(graph, "adam.lr=log:1e-3:1e-1", strategy="grid")


def test_a_definition_round_trips_and_is_checked(graph):
    experiment = _experiment(graph, "adam.lr=log:1e-3:1e-1", strategy="random", trials=5, seed=3, prune=True)
    again = Experiment.from_dict(experiment.to_dict(), graph)
    assert again.to_dict() == experiment.to_dict()
    assert experiment.metric_for(graph) == ("val_acc", "maximize")
    with pytest.raises(SweepSpecError, match="swept twice"):
        _experiment(graph, "adam.lr=0.1", "adam.lr=0.2")
    with pytest.raises(SweepSpecError, match="strategy should be one of grid, random, tpe"):
        _experiment(graph, "adam.lr=0.1", strategy="bayes")
    with pytest.raises(SweepSpecError, match="metric 'val_f1' is not measured"):
        _experiment(graph, "adam.lr=0.1", metric="val_f1")
    del graph.nodes["fc1"]  # a saved experiment whose node was deleted since
    with pytest.raises(SweepSpecError, match="no node 'fc1'"):
        Experiment.from_dict(
            {"name": "e", "params": [{"target": "fc1.out_features", "kind": "values", "values": [8]}]}, graph
        )


def test_a_trial_graph_has_the_values_and_leaves_the_original_alone(graph):
    trial = apply_values(graph, {"adam.lr": 0.05, "training.batch_size": 64})
    assert trial.nodes["adam"].params["lr"] == 0.05 and trial.training["batch_size"] == 64
    assert graph.nodes["adam"].params["lr"] != 0.05 and graph.training["batch_size"] == 32
