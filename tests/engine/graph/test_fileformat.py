import json
import os
from pathlib import Path

import pytest

from engine.graph import (
    CURRENT_VERSION,
    GraphFileError,
    dumps_graph,
    load_graph,
    loads_graph,
    save_graph,
)
from engine.graph.fileformat import graph_to_document

DATA = Path(__file__).resolve().parents[2] / "data"
EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def test_save_load_save_is_byte_identical(mlp, tmp_path):
    mlp.nodes["fc1"].ui = {"pos": [120.5, -3.25]}
    mlp.training["epochs"] = 7
    first = tmp_path / "a.json"
    save_graph(mlp, first)
    second = tmp_path / "b.json"
    save_graph(load_graph(first), second)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_examples_round_trip_byte_identical(path):
    text = dumps_graph(load_graph(path))
    assert dumps_graph(loads_graph(text)) == text


def test_loaded_graph_equals_the_saved_one(mlp):
    loaded = loads_graph(dumps_graph(mlp))
    assert loaded.nodes == mlp.nodes
    assert loaded.edges == mlp.edges
    assert loaded.training == mlp.training


@pytest.mark.parametrize("name", ["graph_v1_mlp.json", "graph_v2_mlp.json", "graph_v3_mlp.json", "graph_v4_mlp.json"])
def test_golden_files_of_every_version_keep_loading(name):
    graph = load_graph(DATA / name)
    assert list(graph.nodes) == ["data", "fc1", "relu1", "fc2", "loss", "adam"]
    assert graph.nodes["fc1"].type_id == "layers.Linear"  # legacy id layers.Dense upgraded
    assert graph.nodes["fc1"].params["out_features"] == 32
    assert graph.nodes["adam"].params["lr"] == 0.002
    assert graph.training["epochs"] == 5 and graph.training["batch_size"] == 64 and graph.training["seed"] == 7
    assert [str(e) for e in graph.edges][0] == "data.x -> fc1.in"
    assert graph.nodes["fc1"].ui == {"pos": [200, 0]}


def test_every_format_version_has_a_golden_file():
    versions = {json.loads(p.read_text())["format_version"] for p in DATA.glob("graph_v*.json")}
    assert versions == set(range(1, CURRENT_VERSION + 1))


def test_v1_migrates_to_the_same_graph_as_v2():
    v1, v2 = load_graph(DATA / "graph_v1_mlp.json"), load_graph(DATA / "graph_v2_mlp.json")
    assert v1.nodes == v2.nodes and v1.edges == v2.edges and v1.training == v2.training


def test_document_shape(mlp):
    doc = graph_to_document(mlp)
    assert doc["format_version"] == CURRENT_VERSION
    assert doc["edges"][0] == {"from": "data.x", "to": "fc1.in"}
    assert doc["nodes"][1] == {
        "id": "fc1",
        "type": "layers.Linear",
        "params": {"out_features": 32, "bias": True, "init": "default", "init_std": 0.01, "trainable": True},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "JSON object at the top level"),
        ('{"nodes": [], "edges": []}', "missing the required field 'format_version'"),
        ('{"format_version": 99, "nodes": [], "edges": []}', "newer Netwright (format 99"),
        ('{"format_version": 0, "nodes": [], "edges": []}', "positive whole number"),
        ('{"format_version": 2, "edges": []}', "missing the required field 'nodes'"),
        ('{"format_version": 2, "nodes": {}, "edges": []}', "'nodes' should be a list"),
        (
            '{"format_version": 2, "nodes": [{"type": "layers.Linear"}], "edges": []}',
            "node 1 is missing the required field 'id'",
        ),
        (
            '{"format_version": 2, "nodes": [{"id": "1x", "type": "layers.Linear"}], "edges": []}',
            "do not start with a digit",
        ),
        (
            '{"format_version": 2, "nodes": [{"id": "a", "type": "layers.Linear"}, {"id": "a", "type": "layers.Linear"}], "edges": []}',
            "two nodes have the id 'a'",
        ),
        (
            '{"format_version": 2, "nodes": [{"id": "a", "type": "layers.Linear"}], "edges": [{"from": "a.out", "to": "b.in"}]}',
            "refers to a node 'b' that does not exist",
        ),
        (
            '{"format_version": 2, "nodes": [{"id": "a", "type": "layers.Linear"}], "edges": [{"from": "a", "to": "a.in"}]}',
            'should be "node.port"',
        ),
        ('{"format_version": 1, "nodes": [], "edges": [["a", "x"]]}', "cannot upgrade from format 1"),
    ],
)
def test_bad_documents_give_one_clear_line(text, expected):
    with pytest.raises(GraphFileError) as info:
        loads_graph(text, "net.json")
    message = str(info.value)
    assert message.startswith("net.json: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(GraphFileError, match="no such file"):
        load_graph(tmp_path / "missing.json")
    with pytest.raises(GraphFileError, match="is a folder"):
        load_graph(tmp_path)
    binary = tmp_path / "weights.json"
    binary.write_bytes(b"\x80\x81\xff")
    with pytest.raises(GraphFileError, match="not a text file"):
        load_graph(binary)


def test_unknown_type_and_bad_values_are_kept_not_dropped(mlp):
    doc = graph_to_document(mlp)
    doc["nodes"].append({"id": "mystery", "type": "layers.FromTheFuture", "params": {"x": 1}})
    doc["nodes"][1]["params"]["out_features"] = -5
    doc["nodes"][1]["params"]["colour"] = "red"
    graph = loads_graph(json.dumps(doc))
    assert graph.nodes["mystery"].type_id == "layers.FromTheFuture"
    assert graph.nodes["fc1"].params["out_features"] == -5
    assert graph.nodes["fc1"].params["colour"] == "red"
    again = json.loads(dumps_graph(graph))
    assert again["nodes"][-1]["params"] == {"x": 1}
    assert again["nodes"][1]["params"]["colour"] == "red"


def test_failed_save_leaves_the_old_file_intact(mlp, tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    save_graph(mlp, path)
    before = path.read_bytes()
    mlp.nodes["fc1"].params["out_features"] = 99

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_graph(mlp, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temporary file left behind


DUPLICATE_KEY_DOCUMENTS = [
    # every place a key can sit twice: the top level, a node, its params and ui, an edge, training;
    # the third entry is where the object holding the duplicate starts
    ('{"format_version": 2, "format_version": 1, "nodes": [], "edges": []}', "format_version", '{"format_version"'),
    ('{"format_version": 2,\n "nodes": [{"id": "a", "id": "b", "type": "t"}], "edges": []}', "id", '{"id"'),
    (
        '{"format_version": 2, "nodes": [\n  {"id": "a", "type": "layers.Linear",\n'
        '   "params": {"out_features": 3, "out_features": 4}}], "edges": []}',
        "out_features",
        '{"out_features"',
    ),
    ('{"format_version": 2, "nodes": [{"id": "a", "type": "t", "ui": {"x": 1, "x": 2}}], "edges": []}', "x", '{"x"'),
    ('{"format_version": 2, "nodes": [], "edges": [{"from": "a.out", "to": "b.in", "to": "c.in"}]}', "to", '{"from"'),
    (
        '{"format_version": 2, "nodes": [], "edges": [],\n"training": {"epochs": 5, "epochs": 50}}',
        "epochs",
        '{"epochs"',
    ),
]


@pytest.mark.parametrize(("text", "key", "object_start"), DUPLICATE_KEY_DOCUMENTS)
def test_a_key_given_twice_is_refused_naming_the_key_and_where(text, key, object_start):
    with pytest.raises(GraphFileError) as info:
        loads_graph(text, "net.json")
    offset = text.index(object_start)
    line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
    message = str(info.value)
    assert message.startswith(f"net.json: the key {key!r} is given twice")
    assert f"line {line}, column {column}" in message
    assert "\n" not in message


def test_the_same_key_in_different_objects_is_fine():
    text = (
        '{"format_version": 2, "nodes": [{"id": "a", "type": "layers.Linear", "params": {"bias": true}},'
        ' {"id": "b", "type": "layers.Linear", "params": {"bias": false}}], "edges": []}'
    )
    assert set(loads_graph(text).nodes) == {"a", "b"}
