"""Property: a node id that validation accepts compiles, and the compiled module runs and trains.

Ids are drawn where trouble lives: torch's own attribute names (dunder and underscore ones
included), Python's builtins, forward()'s `self`, names the compiled forward() gives to other
nodes' ports (`data_x`), and random identifiers.
"""

from __future__ import annotations

import builtins

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis import analyze
from engine.compiler import compile_graph, input_name
from engine.graph import Edge, Graph
from engine.graph.model import valid_node_id
from engine.graph.reserved_ids import RESERVED_IDS
from tests.engine.conftest import make_mlp

NAMED = sorted(
    {*RESERVED_IDS, *dir(builtins), "self", "torch", "nn", "fx", "operator", "getitem", "inf", "nan", "device"}
    | {"x", "y", "out", "loss", "data", "model", "pytree", "fx_pytree", "NoneType", "_tensor_constant0"}
)
PORTS = ["x", "y", "out", "is_real", "loss", "in", "a", "b"]


def gan_discriminator() -> Graph:
    """Two Inputs -> RealFakeBatch (two outputs) -> Linear -> BCE against the batch's labels."""
    graph = Graph()
    graph.add_node("data.Input", {"shape": [3]}, node_id="real")
    graph.add_node("data.Input", {"shape": [3]}, node_id="fake")
    graph.add_node("merge.RealFakeBatch", node_id="pair")
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="judge")
    graph.add_node("losses.BCEWithLogits", node_id="d_loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("real", "out", "pair", "real"),
        ("fake", "out", "pair", "fake"),
        ("pair", "out", "judge", "in"),
        ("judge", "out", "d_loss", "prediction"),
        ("pair", "is_real", "d_loss", "target"),
        ("d_loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    return graph


def example_inputs(graph: Graph, renames: dict[str, str]) -> dict[str, torch.Tensor]:
    """forward()'s keyword arguments, named as the trainer names them."""
    if "data" in renames:
        data = renames["data"]
        return {
            input_name(graph, data, "x"): torch.randn(4, 64),
            input_name(graph, data, "y"): torch.tensor([0, 1, 2, 3]),
        }
    return {input_name(graph, renames[n], "out"): torch.randn(2, 3) for n in ("real", "fake")}


def with_ids(graph: Graph, renames: dict[str, str]) -> Graph:
    """`graph` with every node renamed at once, past the graph's own checks (as a hand-edited file could)."""
    for old, node in graph.nodes.items():
        node.id = renames[old]
    graph.nodes = {renames[old]: node for old, node in graph.nodes.items()}
    graph.edges = [Edge(renames[e.src], e.src_port, renames[e.dst], e.dst_port) for e in graph.edges]
    return graph


@st.composite
def renamed_graphs(draw):
    graph = draw(st.sampled_from([make_mlp, gan_discriminator]))()
    renames: dict[str, str] = {}
    for old in graph.nodes:
        drawn = list(renames.values())
        choices = [
            st.sampled_from(NAMED),
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
            st.just(old),
        ]
        if drawn:  # the name forward() may give one of the nodes named so far
            choices.append(st.builds(lambda a, p: f"{a}_{p}", st.sampled_from(drawn), st.sampled_from(PORTS)))
        new = draw(st.one_of(*choices).filter(valid_node_id).filter(lambda n: n not in renames.values()))
        renames[old] = new
    return with_ids(graph, renames), renames


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(renamed_graphs())
def test_an_id_validation_accepts_compiles_runs_and_trains(case):
    graph, renames = case
    analysis = analyze(graph)
    if not analysis.ok:
        for problem in analysis.errors:  # refused on the node, in one line
            assert problem.node_id in graph.nodes and "\n" not in problem.message
        return
    model = compile_graph(graph, analysis=analysis)
    out = model(**example_inputs(graph, renames))
    loss = out[renames["loss" if "loss" in renames else "d_loss"]]
    loss.backward()
    assert torch.isfinite(loss)
    assert set(dict(model.named_children())) <= set(graph.nodes)
