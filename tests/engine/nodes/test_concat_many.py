"""Concat joins any number of tensors (a DenseNet block joins all its earlier layers), in a known order."""

from __future__ import annotations

import torch

from engine.analysis import analyze
from engine.compiler import class_name, compile_graph
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph
from engine.importers.pytorch import import_module
from engine.registry import floats


def dense_join(branches: int) -> Graph:
    """x -> `branches` Linear layers of 1..n features -> one Concat (a, b, c, d, then `more`)."""
    graph = Graph(name="dense_join")
    graph.add_node("data.Input", {"shape": [5]}, node_id="x")
    graph.add_node("merge.Concat", {}, node_id="join")
    for i in range(branches):
        graph.add_node("layers.Linear", {"out_features": i + 1}, node_id=f"fc{i}")
        graph.connect("x", "out", f"fc{i}", "in")
        graph.connect(f"fc{i}", "out", "join", "abcd"[i] if i < 4 else "more")
    return graph


def test_seven_inputs_join_in_port_then_connection_order():
    graph = dense_join(7)
    analysis = analyze(graph)
    assert not analysis.errors
    assert analysis.specs[("join", "out")] == floats(sum(range(1, 8)))
    model = compile_graph(graph, "join").eval()
    x = torch.randn(3, 5)
    with torch.no_grad():
        branches = [getattr(model, f"fc{i}")(x) for i in range(7)]
        torch.testing.assert_close(model(x), torch.cat(branches, dim=1))


def test_generated_python_of_many_joined_branches_imports_back_with_every_edge_in_order():
    graph = dense_join(6)
    part = model_part(graph, "join")
    namespace: dict = {"__name__": "generated"}
    exec(compile(python_source(part, "w.safetensors"), "generated.py", "exec"), namespace)
    model = namespace[class_name(graph.name)]()
    model.load_state_dict(part.program.state_dict())
    result = import_module(model.eval(), (5,))
    joins = [n for n in result.graph.nodes.values() if n.type_id == "merge.Concat"]
    assert len(joins) == 1
    order = [(e.src, e.dst_port) for e in result.graph.edges_into(joins[0].id)]
    assert order == [("fc0", "a"), ("fc1", "b"), ("fc2", "c"), ("fc3", "d"), ("fc4", "more"), ("fc5", "more")]
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-6


def test_a_missing_first_input_is_reported_on_its_port():
    graph = dense_join(2)
    graph.edges = [e for e in graph.edges if e.dst_port != "a"]
    errors = analyze(graph).errors
    assert any(p.node_id == "join" and "`a`" in str(p) for p in errors), errors
