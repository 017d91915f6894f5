"""The panel's edits of the experiment: suggested values, checked values, Apply best (undoable)."""

from __future__ import annotations

import pytest

from editor.document import GraphDocument
from editor.experiments import definition
from engine.sweeps import SweepSpecError
from tests.engine.conftest import make_mlp


@pytest.fixture
def document():
    doc = GraphDocument()
    doc.load(make_mlp(hidden=32), None)
    return doc


def test_the_sweep_button_suggests_values_around_the_current_one(document):
    graph = make_mlp(hidden=32)
    assert definition.add_param(graph, "fc1.out_features") == "16,32,64"
    assert definition.add_param(graph, "adam.lr") == "log:0.0001:0.01"
    assert definition.add_param(graph, "training.schedule") == "*"
    assert definition.add_param(graph, "adam.lr") == ""  # already swept: left as it is
    experiment = definition.checked_experiment(graph)
    assert experiment.targets == ["fc1.out_features", "adam.lr", "training.schedule"]
    assert experiment.strategy == "tpe" and experiment.trials == 20


def test_edits_are_undoable_and_bad_values_change_nothing(document):
    document.edit("sweep", lambda g: definition.add_param(g, "adam.lr"))
    document.edit("values", lambda g: definition.set_values(g, "adam.lr", "0.1,0.01"))
    assert document.graph.experiments[0]["params"][0]["values"] == [0.1, 0.01]
    with pytest.raises(SweepSpecError, match="must be at most 10"):
        document.edit("values", lambda g: definition.set_values(g, "adam.lr", "100"))
    assert document.graph.experiments[0]["params"][0]["values"] == [0.1, 0.01]
    document.undo_stack.undo()
    assert document.graph.experiments[0]["params"][0]["kind"] == "log"
    document.edit("best", lambda g: definition.apply_best(g, {"adam.lr": 0.01, "training.batch_size": 64}))
    assert document.graph.nodes["adam"].params["lr"] == 0.01 and document.graph.training["batch_size"] == 64
    document.undo_stack.undo()
    assert document.graph.nodes["adam"].params["lr"] == 0.001 and document.graph.training["batch_size"] == 32


def test_nothing_to_sweep_says_how_to_start():
    with pytest.raises(SweepSpecError, match="press “sweep” beside a setting"):
        definition.checked_experiment(make_mlp())
