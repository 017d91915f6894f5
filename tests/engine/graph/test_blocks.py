"""Blocks: a grouping over the flat graph, kept in the file (format 3), named in problems."""

import json
from pathlib import Path

import pytest

from engine.analysis import analyze
from engine.graph import GraphError, GraphFileError, dumps_graph, load_graph, loads_graph, save_graph
from engine.graph.grouping import (
    block_path,
    block_ports,
    make_block,
    node_path,
    nodes_in,
    parents,
    remove_block,
    structure_problems,
    ungroup,
)
from engine.graph.migrations import CURRENT_VERSION

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def nested():
    """The golden MLP: `hidden` (fc1, relu1) inside `body` (hidden, fc2)."""
    return load_graph(DATA / "graph_v3_mlp.json")


def test_golden_v3_has_nested_blocks(nested):
    assert set(nested.blocks) == {"hidden", "body"}
    assert nested.blocks["hidden"].nodes == ["fc1", "relu1"]
    assert nested.blocks["body"].nodes == ["fc2"] and nested.blocks["body"].blocks == ["hidden"]
    assert nested.blocks["body"].collapsed is False and nested.blocks["hidden"].collapsed is True
    assert nested.blocks["body"].ui == {"pos": [200, 0]}
    assert nodes_in(nested, "body") == ["fc1", "relu1", "fc2"]
    assert block_path(nested, "fc1") == ["body", "hidden"] and node_path(nested, "fc1") == "body/hidden/fc1"
    assert node_path(nested, "data") == "data"


def test_v3_save_load_save_is_byte_identical(nested, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    save_graph(nested, first)
    save_graph(load_graph(first), second)
    assert first.read_bytes() == second.read_bytes()
    # the same graph in the current version (settings added since version 3 are written with their defaults)
    v3, saved = json.loads((DATA / "graph_v3_mlp.json").read_text()), json.loads(first.read_text())
    assert saved["format_version"] == CURRENT_VERSION
    assert [(n["id"], n["type"], n.get("ui")) for n in saved["nodes"]] == [
        (n["id"], n["type"], n.get("ui")) for n in v3["nodes"]
    ]
    assert (saved["edges"], saved["blocks"]) == (v3["edges"], v3["blocks"])
    assert saved["training"].items() >= v3["training"].items()


def test_v2_migrates_to_the_same_flat_graph_without_blocks(nested):
    v2 = load_graph(DATA / "graph_v2_mlp.json")
    assert v2.blocks == {}
    assert v2.nodes == nested.nodes and v2.edges == nested.edges and v2.training == nested.training
    doc = json.loads(dumps_graph(v2))
    assert doc["format_version"] == CURRENT_VERSION and "blocks" not in doc  # no blocks, nothing written


def test_blocks_leave_analysis_unchanged(nested):
    flat = load_graph(DATA / "graph_v2_mlp.json")
    grouped, plain = analyze(nested), analyze(flat)
    assert not grouped.problems and grouped.specs == plain.specs and grouped.order == plain.order


def test_problems_inside_blocks_name_the_path(nested):
    nested.nodes["fc1"].params["out_features"] = -3
    problem = next(p for p in analyze(nested).problems if p.node_id == "fc1")
    assert "Linear `body/hidden/fc1` has a bad value for out_features" in problem.message
    assert problem.path == "body/hidden/fc1" and str(problem).startswith("body/hidden/fc1: ")


def test_ports_are_the_edges_crossing_the_boundary(nested):
    ports = block_ports(nested, "body")
    assert [p.name for p in ports.inputs] == ["fc1.in"]
    assert [p.name for p in ports.outputs] == ["fc2.out"]
    assert [str(e) for e in ports.outputs[0].edges] == ["fc2.out -> loss.prediction"]
    inner = block_ports(nested, "hidden")
    assert [p.name for p in inner.inputs] == ["fc1.in"] and [p.name for p in inner.outputs] == ["relu1.out"]


def test_make_block_nests_and_ungroup_restores(nested):
    before = dumps_graph(load_graph(DATA / "graph_v2_mlp.json"))
    outer = make_block(nested, ["body", "loss"], "Everything")
    assert outer.id == "block1" and parents(nested)["body"] == "block1"
    assert node_path(nested, "relu1") == "block1/body/hidden/relu1"
    ungroup(nested, "body")  # its members move up into block1, in place of it
    assert nested.blocks["block1"].nodes == ["fc2", "loss"] and nested.blocks["block1"].blocks == ["hidden"]
    for block_id in ("hidden", "block1"):
        ungroup(nested, block_id)
    assert nested.blocks == {}
    nested.name, nested.description = (
        "Digits MLP (format 2)",
        "The format 1 golden file, upgraded and saved by format 2.",
    )
    assert json.loads(dumps_graph(nested)) == {**json.loads(before)}


def test_make_block_refuses_what_it_cannot_group(nested):
    with pytest.raises(GraphError, match="select the nodes"):
        make_block(nested, [])
    with pytest.raises(GraphError, match="no node or block with id 'nope'"):
        make_block(nested, ["nope"])
    with pytest.raises(GraphError, match="spans several.*`body/hidden/fc1`"):
        make_block(nested, ["fc1", "loss"])
    with pytest.raises(GraphError, match="a node with id 'fc2' already exists"):
        make_block(nested, ["loss"], block_id="fc2")
    with pytest.raises(GraphError, match="not a valid block id"):
        make_block(nested, ["loss"], block_id="2x")
    with pytest.raises(GraphError, match="a block with id 'body' already exists"):
        nested.add_node("layers.Linear", node_id="body")


def test_node_edits_keep_blocks_consistent(nested):
    nested.rename_node("fc1", "dense")
    assert nested.blocks["hidden"].nodes == ["dense", "relu1"]
    nested.remove_node("relu1")
    assert nested.blocks["hidden"].nodes == ["dense"]
    assert nested.add_node("layers.Linear").id == "fc1"
    nested.add_node("activations.ReLU", node_id="block1")
    assert make_block(nested, ["loss"]).id == "block2"  # ids are shared with nodes
    assert structure_problems(nested) == []


def test_remove_block_deletes_what_is_inside(nested):
    remove_block(nested, "hidden")
    assert "fc1" not in nested.nodes and "relu1" not in nested.nodes and "hidden" not in nested.blocks
    assert nested.blocks["body"].blocks == [] and nested.blocks["body"].nodes == ["fc2"]
    assert all("fc1" not in (e.src, e.dst) for e in nested.edges)


def test_a_block_left_empty_goes_with_its_last_node(nested):
    nested.remove_node("fc1")
    nested.remove_node("relu1")
    assert "hidden" not in nested.blocks and nested.blocks["body"].blocks == []
    nested.remove_node("fc2")
    assert nested.blocks == {}
    assert structure_problems(nested) == []


def test_removing_the_only_block_inside_another_removes_both(nested):
    nested.blocks["body"].nodes.remove("fc2")
    remove_block(nested, "hidden")
    assert nested.blocks == {} and "fc2" in nested.nodes and "fc1" not in nested.nodes
    with pytest.raises(GraphError, match="no block with id 'hidden'"):
        remove_block(nested, "hidden")


def _with_blocks(blocks) -> str:
    doc = json.loads((DATA / "graph_v3_mlp.json").read_text())
    doc["blocks"] = blocks
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ({"id": "b"}, "'blocks' should be a list"),
        ([["fc1"]], "block 1 should be an object"),
        ([{"id": "b", "nodes": ["ghost"]}], "block 'b' holds a node 'ghost' that does not exist"),
        ([{"id": "b", "blocks": ["c"]}], "block 'b' holds a block 'c' that does not exist"),
        ([{"id": "b", "nodes": ["fc1"]}, {"id": "c", "nodes": ["fc1"]}], "'fc1' is in two blocks, 'b' and 'c'"),
        ([{"id": "b", "blocks": ["c"]}, {"id": "c", "blocks": ["b"]}], "nested inside itself"),
        ([{"id": "b"}, {"id": "b"}], "two blocks have the id 'b'"),
        ([{"id": "fc1"}], "block 'fc1': a node has the same id"),
        ([{"id": "b", "nodes": [1]}], "block 'b': 'nodes' should be a list of ids"),
        ([{"id": "b", "collapsed": "yes"}], "'collapsed' should be true or false"),
    ],
)
def test_broken_blocks_are_refused_in_one_line(blocks, message):
    with pytest.raises(GraphFileError, match=message) as error:
        loads_graph(_with_blocks(blocks), "g.json")
    assert str(error.value).startswith("g.json: ") and "\n" not in str(error.value)
