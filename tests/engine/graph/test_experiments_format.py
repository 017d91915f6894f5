"""Format 4: experiments (sweep definitions) saved with the graph; older files read as graphs without any."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.graph import GraphFileError, dumps_graph, load_graph, loads_graph
from engine.graph.migrations import CURRENT_VERSION, migrate
from engine.sweeps import Experiment

DATA = Path(__file__).resolve().parents[2] / "data"


def test_v3_migrates_to_v4_without_experiments():
    v3 = json.loads((DATA / "graph_v3_mlp.json").read_text())
    v4 = migrate(v3, 3)
    assert v4["format_version"] == CURRENT_VERSION == 4 and v4["experiments"] == []
    graph = load_graph(DATA / "graph_v3_mlp.json")
    assert graph.experiments == []
    assert "experiments" not in json.loads(dumps_graph(graph))  # none: nothing written


def test_the_v4_golden_file_keeps_its_experiment_and_round_trips():
    graph = load_graph(DATA / "graph_v4_mlp.json")
    assert [e["name"] for e in graph.experiments] == ["width_x_lr"]
    experiment = Experiment.from_dict(graph.experiments[0], graph)
    assert experiment.strategy == "tpe" and experiment.trials == 12 and experiment.prune
    assert [p.text() for p in experiment.params] == ["16,32,64", "log:0.0001:0.1"]
    assert experiment.metric_for(graph) == ("val_acc", "maximize")
    text = dumps_graph(graph)
    assert dumps_graph(loads_graph(text)) == text
    v3 = load_graph(DATA / "graph_v3_mlp.json")
    assert graph.nodes == v3.nodes and graph.edges == v3.edges and graph.blocks == v3.blocks


def test_an_experiment_of_a_newer_netwright_keeps_fields_it_does_not_know():
    graph = load_graph(DATA / "graph_v4_mlp.json")
    graph.experiments[0]["notes"] = "from the future"
    again = loads_graph(dumps_graph(graph))
    assert again.experiments[0]["notes"] == "from the future"
    assert Experiment.from_dict(again.experiments[0], again).to_dict()["notes"] == "from the future"


@pytest.mark.parametrize(
    ("experiments", "expected"),
    [
        ("[]", None),
        ('{"name": "x"}', "'experiments' should be a list"),
        ('["x"]', "experiment 1 should be an object"),
        ('[{"strategy": "tpe"}]', "experiment 1 is missing the required field 'name'"),
        ('[{"name": "a"}, {"name": "a"}]', "two experiments are named 'a'"),
    ],
)
def test_malformed_experiments_are_refused_in_one_line(experiments, expected):
    text = '{"format_version": 4, "nodes": [], "edges": [], "experiments": ' + experiments + "}"
    if expected is None:
        assert loads_graph(text).experiments == []
        return
    with pytest.raises(GraphFileError, match=expected):
        loads_graph(text, "g.json")
