"""The level view the editor draws: collapsed blocks as one node with their crossing edges as ports."""

from pathlib import Path

import pytest

from engine.analysis import analyze
from engine.analysis.block_status import block_parameters, block_status
from engine.analysis.parameters import count_parameters
from engine.graph import Edge, GraphError, load_graph
from engine.graph.block_view import block_port_names, level_view, port_edge

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def nested():
    """`hidden` (fc1, relu1) inside `body` (hidden, fc2)."""
    return load_graph(DATA / "graph_v3_mlp.json")


def drawn(view):
    return [(e.src, e.src_port, e.dst, e.dst_port) for e in view.edges]


def test_top_level_draws_the_outer_block_collapsed(nested):
    view = level_view(nested)
    assert view.nodes == ("data", "loss", "adam") and view.blocks == ("body",) and view.breadcrumbs == ()
    assert drawn(view) == [
        ("data", "x", "body", "fc1.in"),
        ("body", "fc2.out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ]
    assert view.boundary == ()
    assert block_port_names(nested, "body") == (["fc1.in"], ["fc2.out"])


def test_opening_a_block_draws_its_members_and_stubs_for_the_boundary(nested):
    view = level_view(nested, "body")
    assert view.nodes == ("fc2",) and view.blocks == ("hidden",) and view.breadcrumbs == ("body",)
    assert drawn(view) == [("hidden", "relu1.out", "fc2", "in")]
    assert [str(e) for e in view.boundary] == ["data.x -> fc1.in", "fc2.out -> loss.prediction"]
    inner = level_view(nested, "hidden")
    assert inner.breadcrumbs == ("body", "hidden") and inner.nodes == ("fc1", "relu1")
    assert drawn(inner) == [("fc1", "out", "relu1", "in")]
    with pytest.raises(GraphError, match="no block with id 'nope'"):
        level_view(nested, "nope")


def test_an_edge_drawn_to_a_block_port_is_the_member_node_edge(nested):
    assert port_edge(nested, ("data", "x"), ("body", "fc1.in")) == Edge("data", "x", "fc1", "in")
    assert port_edge(nested, ("body", "fc2.out"), ("loss", "prediction")) == Edge("fc2", "out", "loss", "prediction")
    with pytest.raises(GraphError, match="block `body` has no port 'loss.target'"):
        port_edge(nested, ("data", "y"), ("body", "loss.target"))


def test_a_collapsed_block_shows_shapes_problems_and_parameters(nested):
    analysis = analyze(nested)
    status = block_status(nested, analysis, "body")
    assert {k: v.bracket() for k, v in status.inputs.items()} == {"fc1.in": "[B, 64]"}
    assert {k: v.bracket() for k, v in status.outputs.items()} == {"fc2.out": "[B, 10]"}
    assert status.problems == () and not status.has_errors
    counts = count_parameters(nested, analysis)
    assert block_parameters(nested, counts, "body").total == 64 * 32 + 32 + 32 * 10 + 10
    assert block_parameters(nested, counts, "hidden").total == 64 * 32 + 32
    nested.nodes["relu1"].type_id = "activations.Nope"
    broken = block_status(nested, analyze(nested), "body")
    assert broken.has_errors and "`body/hidden/relu1`" in broken.problems[0].message
