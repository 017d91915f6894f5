"""Node ids the compiler cannot use are refused by validation, with the node named, never a traceback.

The refused set is derived from torch (engine/compiler/reserved.py); validation reads a torch-free
snapshot of it, which these tests keep complete.
"""

from __future__ import annotations

import pytest
import torch

from engine.analysis import analyze
from engine.cli import main
from engine.compiler import CompileError, compile_graph
from engine.compiler import reserved as reserved_module
from engine.compiler.reserved import SNAPSHOT, compiler_reserved_ids, snapshot_text
from engine.graph import Edge, Graph, save_graph
from engine.graph.reserved_ids import RESERVED_IDS
from tests.engine.conftest import make_mlp


def renamed(graph: Graph, old: str, new: str) -> Graph:
    """`graph` with node `old` called `new`, bypassing the graph's own id check (as a hand-edited file would)."""
    node = graph.nodes[old]
    node.id = new
    graph.nodes = {(new if k == old else k): v for k, v in graph.nodes.items()}
    graph.edges = [
        Edge(new if e.src == old else e.src, e.src_port, new if e.dst == old else e.dst, e.dst_port)
        for e in graph.edges
    ]
    return graph


def test_the_snapshot_holds_every_id_the_installed_torch_reserves():
    missing = sorted(compiler_reserved_ids() - RESERVED_IDS)
    assert not missing, f"run `python -m engine.compiler.reserved` to add {missing}"


def test_the_snapshot_is_the_generated_file_not_a_hand_edit():
    assert SNAPSHOT.read_text(encoding="utf-8") == snapshot_text(RESERVED_IDS)


def test_the_derived_set_has_what_crashed_before():
    derived = compiler_reserved_ids()
    # dunder and underscore attributes of nn.Module / fx.GraphModule, forward()'s `self`,
    # a name Python refuses to assign, and the public methods
    assert {"__init__", "__class__", "_modules", "_parameters", "_code", "self", "__debug__", "training"} <= derived
    assert {"fc1", "x", "print", "input", "torch"}.isdisjoint(derived)  # usable names stay usable


@pytest.mark.parametrize("node_id", ["__init__", "_modules", "_parameters", "_graph", "__dict__", "self", "__debug__"])
def test_a_reserved_id_is_one_problem_on_that_node(node_id):
    graph = renamed(make_mlp(), "fc1", node_id)
    errors = analyze(graph).errors
    assert [p.node_id for p in errors] == [node_id]
    assert "reserved for PyTorch" in errors[0].message
    assert "\n" not in errors[0].message
    with pytest.raises(CompileError, match="reserved"):
        compile_graph(graph)


def test_the_suggested_rename_is_itself_usable():
    graph = renamed(make_mlp(), "fc1", "__init__")
    [problem] = analyze(graph).errors
    assert "`init1`" in problem.hint
    graph = renamed(graph, "__init__", "init1")
    assert analyze(graph).ok


def test_an_id_that_is_the_name_of_the_datasets_input_is_refused():
    graph = renamed(make_mlp(), "fc1", "data_x")  # forward(self, data_x, data_y)
    [problem] = analyze(graph).errors
    assert problem.node_id == "data_x"
    assert "Dataset `data`'s output `x`" in problem.message
    assert "`data_x1`" in problem.hint
    with pytest.raises(CompileError, match="data_x"):
        compile_graph(graph)


def test_an_id_that_is_the_name_of_a_multi_output_nodes_port_is_refused():
    graph = Graph()
    graph.add_node("data.Input", {"shape": [2]}, node_id="real")
    graph.add_node("data.Input", {"shape": [2]}, node_id="fake")
    graph.add_node("merge.RealFakeBatch", node_id="pair")
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="pair_is_real")  # forward names pair[1] so
    graph.connect("real", "out", "pair", "real")
    graph.connect("fake", "out", "pair", "fake")
    graph.connect("pair", "out", "pair_is_real", "in")
    [problem] = analyze(graph).errors
    assert problem.node_id == "pair_is_real" and "`pair`'s output `is_real`" in problem.message


def test_two_ports_that_would_share_one_name_in_forward_are_refused():
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="a")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="a_x")  # a_x_y
    # a second Dataset is an error of its own; the clash of names is reported besides it
    messages = [p.message for p in analyze(graph).errors if p.node_id == "a_x"]
    assert any("`a_x`" in m and "forward()" in m for m in messages)


def test_the_compiler_refuses_an_id_a_newer_torch_reserves(monkeypatch):
    """Validation's snapshot may lag a torch upgrade: the compiler still names the node."""
    monkeypatch.setattr(reserved_module, "compiler_reserved_ids", lambda: frozenset({"fc1"}))
    monkeypatch.setattr("engine.compiler.compile.compiler_reserved_ids", lambda: frozenset({"fc1"}))
    with pytest.raises(CompileError, match="`fc1` is reserved by this version of PyTorch"):
        compile_graph(make_mlp())


@pytest.mark.parametrize("node_id", ["_modules", "self", "data_y"])
@pytest.mark.parametrize("command", ["summary", "train", "export"])
def test_the_command_line_refuses_such_a_graph_in_one_line(tmp_path, capsys, node_id, command):
    path = tmp_path / "g.json"
    save_graph(renamed(make_mlp(), "fc1", node_id), path)
    extra = {
        "summary": [],
        "train": ["--out", str(tmp_path / "run"), "--no-progress", "--epochs", "1"],
        "export": ["--format", "pt", "-o", str(tmp_path / "m.pt")],
    }[command]
    assert main([command, str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"`{node_id}`" in err
    assert main(["validate", str(path)]) != 0


def test_a_module_compiled_with_every_unreserved_attribute_like_name_runs():
    """Names close to reserved ones (`init`, `modules1`, `_x`) are fine: the refusal is exact."""
    for node_id in ("init", "modules1", "_x", "self_", "forward_", "input", "print"):
        graph = renamed(make_mlp(), "fc1", node_id)
        assert analyze(graph).ok, node_id
        out = compile_graph(graph)(data_x=torch.randn(2, 64), data_y=torch.tensor([0, 1]))
        assert out["loss"].ndim == 0


def test_an_imported_submodule_named_like_a_reserved_id_gets_another_id():
    from torch import nn

    from engine.importers.pytorch import import_module

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.self = nn.Linear(4, 3)

        def forward(self, x):
            return self.self(x)

    result = import_module(Model(), (4,))
    assert "self" not in result.graph.nodes
    assert analyze(result.graph).ok
