"""An imported model's submodules become blocks of its graph, nested as the modules are.

A ResNet's `layer1.0` (a BasicBlock) becomes block `layer1_0` titled "BasicBlock" holding the
nodes made inside its forward (`layer1_0_conv1`, `layer1_0_add`, ...), inside block `layer1`.
Inside a block, nodes are named by the block's id and a local name (`conv1`, `add`, `relu_1`),
so two blocks built from the same class have the same contents under the same local names: the
Python export writes them as one class (engine/export/block_classes.py).
"""

from __future__ import annotations

import re

from torch import nn

from engine.graph import Graph
from engine.graph.grouping import make_block
from engine.graph.model import node_id_problem

MIN_MEMBERS = 2  # a block around a single node only adds a level to open


def group_by_module(graph: Graph, scopes: dict[str, str], model: nn.Module) -> None:
    """Make a block for every submodule path in `scopes` (node id -> path of the module whose forward made it)."""
    paths: set[str] = set()
    for scope in scopes.values():
        parts = scope.split(".") if scope else []
        paths.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    block_of: dict[str, str] = {}  # module path -> the block standing for it
    for path in sorted(paths, key=lambda p: (-p.count("."), p)):  # inner modules first
        parent = path.rpartition(".")[0]
        members = [n for n, scope in scopes.items() if scope == path and n in graph.nodes]
        members += [block for child, block in block_of.items() if child.rpartition(".")[0] == path]
        if len(members) >= MIN_MEMBERS:
            block_of[path] = make_block(graph, members, _title(model, path), _block_id(graph, path)).id
        elif members and members[0] in graph.blocks:
            block_of[path] = members[0]  # the module only wraps one block: that block stands for it
        elif members:
            scopes[members[0]] = parent  # one node: it belongs to the enclosing module's block


def _block_id(graph: Graph, path: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", path).strip("_") or "block"
    if node_id_problem(text) is not None:
        text = "block_" + text
    return text if text not in graph.nodes and text not in graph.blocks else graph.free_id(text + "_")


def _title(model: nn.Module, path: str) -> str:
    """The class name of a module the user wrote (BasicBlock); a torch container is named by its attribute."""
    try:
        module = model.get_submodule(path)
    except AttributeError:
        return path.rpartition(".")[2]
    cls = type(module)
    if cls.__module__.startswith("torch."):
        return path.rpartition(".")[2]
    return cls.__name__
