"""Work on a graph grows linearly with its size (counted, not timed: bench/bench_large_graphs.py times it).

Every read of the graph's edge list is counted; four times the nodes must cost about four times
the reads. A per-node scan of all edges (quadratic: 2,000 nodes took 0.44 s to validate, 20,000
took 80 s) would cost sixteen times.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.analysis import analyze
from engine.compiler import compile_graph, default_outputs
from engine.graph import Graph
from engine.graph.layout import auto_layout


class CountingEdges(list):
    """An edge list that counts the edges handed out by iteration and membership tests."""

    reads = 0

    def __iter__(self):
        for edge in super().__iter__():
            CountingEdges.reads += 1
            yield edge

    def __contains__(self, item) -> bool:
        CountingEdges.reads += len(self)
        return super().__contains__(item)


def residual_graph(blocks: int) -> Graph:
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 8}, node_id="stem")
    graph.connect("data", "x", "stem", "in")
    previous = "stem"
    for block in range(blocks):
        fc, add, out = f"fc{block}", f"add{block}", f"relu{block}"
        graph.add_node("layers.Linear", {"out_features": 8}, node_id=fc)
        graph.add_node("merge.Add", node_id=add)
        graph.add_node("activations.ReLU", node_id=out)
        graph.connect(previous, "out", fc, "in")
        graph.connect(fc, "out", add, "a")
        graph.connect(previous, "out", add, "b")
        graph.connect(add, "out", out, "in")
        previous = out
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect(previous, "out", "head", "in")
    graph.connect("head", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def edge_reads(work: Callable[[Graph], object], blocks: int) -> int:
    graph = residual_graph(blocks)
    graph.edges = CountingEdges(graph.edges)
    CountingEdges.reads = 0
    work(graph)
    return CountingEdges.reads


def build(blocks: int) -> None:
    graph = Graph()
    graph.edges = CountingEdges()
    graph.add_node("data.Input", {"shape": [4]}, node_id="n0")
    for index in range(1, blocks * 3):
        graph.add_node("activations.ReLU", node_id=f"n{index}")
        graph.connect(f"n{index - 1}", "out", f"n{index}", "in")


@pytest.mark.parametrize(
    "work",
    [analyze, default_outputs, auto_layout, lambda graph: compile_graph(graph, analysis=analyze(graph))],
    ids=["analyze", "default_outputs", "auto_layout", "compile"],
)
def test_edge_reads_grow_linearly(work):
    small, large = edge_reads(work, 100), edge_reads(work, 400)
    assert small > 0
    assert large / small < 5, (small, large)


def test_building_a_graph_edge_by_edge_is_linear():
    reads = []
    for blocks in (100, 400):
        CountingEdges.reads = 0
        build(blocks)
        reads.append(CountingEdges.reads)
    assert reads[1] / max(reads[0], 1) < 5, reads
