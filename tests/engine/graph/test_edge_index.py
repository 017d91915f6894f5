"""The graph's per-node edge queries answer from an index that follows every way the edges change."""

from __future__ import annotations

import copy

from engine.graph import Edge, Graph
from tests.engine.conftest import make_mlp


def scanned(graph: Graph, node_id: str) -> tuple[list[Edge], list[Edge]]:
    """What the queries must answer, by scanning the edge list."""
    return [e for e in graph.edges if e.dst == node_id], [e for e in graph.edges if e.src == node_id]


def assert_queries_match(graph: Graph) -> None:
    for node_id in graph.nodes:
        into, out_of = scanned(graph, node_id)
        assert graph.edges_into(node_id) == into
        assert graph.edges_out_of(node_id) == out_of
        assert graph.predecessors(node_id) == list(dict.fromkeys(e.src for e in into))
        assert graph.successors(node_id) == list(dict.fromkeys(e.dst for e in out_of))


def test_queries_follow_connect_disconnect_remove_and_rename():
    graph = make_mlp()
    assert_queries_match(graph)
    graph.disconnect(Edge("fc1", "out", "relu1", "in"))
    assert_queries_match(graph)
    graph.connect("fc1", "out", "relu1", "in")
    graph.connect("data", "x", "fc1", "in")  # already there: not added twice
    assert len(graph.edges) == 6
    assert_queries_match(graph)
    graph.rename_node("relu1", "act")
    assert_queries_match(graph)
    graph.remove_node("fc2")
    assert_queries_match(graph)


def test_queries_follow_an_edge_list_changed_from_outside():
    graph = make_mlp()
    graph.edges_into("loss")  # build the index
    graph.edges = [e for e in graph.edges if e.dst != "loss"]  # replaced
    assert_queries_match(graph)
    graph.edges.append(Edge("fc2", "out", "loss", "prediction"))  # grown in place
    assert_queries_match(graph)
    graph.edges.remove(Edge("fc2", "out", "loss", "prediction"))
    graph.edges.append(Edge("relu1", "out", "loss", "prediction"))  # same length, new last edge
    assert_queries_match(graph)
    graph.connect("relu1", "out", "loss", "prediction")  # present, though appended from outside
    assert graph.edges.count(Edge("relu1", "out", "loss", "prediction")) == 1


def test_a_copy_has_its_own_index():
    graph = make_mlp()
    graph.edges_into("fc1")
    twin = copy.deepcopy(graph)
    twin.disconnect(Edge("data", "x", "fc1", "in"))
    assert twin.edges_into("fc1") == []
    assert graph.edges_into("fc1") == [Edge("data", "x", "fc1", "in")]
    assert twin != graph and graph.copy() == graph


def test_returned_lists_are_copies():
    graph = make_mlp()
    graph.edges_into("fc1").clear()
    assert graph.edges_into("fc1") == [Edge("data", "x", "fc1", "in")]


def test_ancestors_walk_the_index():
    graph = make_mlp()
    assert graph.ancestors(["fc2"]) == {"data", "fc1", "relu1", "fc2"}
    assert graph.ancestors(["fc2"], stop_at=["relu1"]) == {"relu1", "fc2"}
