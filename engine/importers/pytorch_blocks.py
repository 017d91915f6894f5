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
from engine.graph.block_view import level_view
from engine.graph.grouping import block_ports, make_block, nodes_in
from engine.graph.layout import ROUTES_KEY, arrange, set_position, usable_position
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


def lay_out_levels(graph: Graph) -> None:
    """Lay out each level as the editor draws it: a block's nodes around each other, and at the level
    holding it, the collapsed block placed as one node among its neighbours.

    The flat layout alone puts `layer1`'s nodes all along the model's row, so the collapsed block,
    drawn at the top left of its nodes, lands on the stem. Inner levels are laid out first; each
    block's nodes are then moved together so their top left is where its level put the block."""
    _lay_out_level(graph, None)
    for node in graph.nodes.values():
        node.ui.pop(ROUTES_KEY, None)  # routes of the flat layout: the canvas draws plain curves instead


def _lay_out_level(graph: Graph, block_id: str | None) -> None:
    view = level_view(graph, block_id)
    for child in view.blocks:
        _lay_out_level(graph, child)
    proxy = Graph(name="level")
    for node_id in view.nodes:
        node = graph.nodes[node_id]
        proxy.add_node(node.type_id, node.params, node_id=node_id)
    for child in view.blocks:
        proxy.add_node("layers.Flatten", {}, node_id=child)  # one port in, one out: a collapsed block's stand-in
    for edge in view.edges:
        src_port = "out" if edge.src in graph.blocks else edge.src_port
        dst_port = "in" if edge.dst in graph.blocks else edge.dst_port
        proxy.connect(edge.src, src_port, edge.dst, dst_port)
    widths = {child: _drawn_width(graph, child) for child in view.blocks}
    positions = arrange(proxy, widths=widths).positions
    for node_id in view.nodes:
        set_position(graph, node_id, *positions[node_id])
    for child in view.blocks:
        members = nodes_in(graph, child)
        places = [usable_position(graph.nodes[n].ui) for n in members]
        left = min(p[0] for p in places if p is not None)
        top = min(p[1] for p in places if p is not None)
        x, y = positions[child]
        for node_id, place in zip(members, places, strict=True):
            if place is not None:
                set_position(graph, node_id, place[0] + x - left, place[1] + y - top)


def _drawn_width(graph: Graph, block_id: str) -> float:
    """About how wide the canvas draws a collapsed block: its input and output port labels
    (`layer1_0_conv1.in`, `layer1_1_relu_1.out`) side by side, as for a node's title."""
    ports = block_ports(graph, block_id)
    widest_in = max((len(p.name) for p in ports.inputs), default=0)
    widest_out = max((len(p.name) for p in ports.outputs), default=0)
    return max(8.0 * (widest_in + widest_out) + 56.0, 8.0 * len(graph.blocks[block_id].title) + 56.0)
