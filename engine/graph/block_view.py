"""What a canvas draws at one level of a graph with blocks: the editor's model of "open a block".

At the top level (or inside an opened block) each node directly there is drawn as itself, and
each block directly there as one collapsed node whose ports are the edges crossing its boundary
(`BlockPort.name`, `conv1.in`). An edge is drawn between the items that hold its ends; an edge
with both ends inside one collapsed block is not drawn; an edge that leaves the opened block is
a boundary edge (drawn as a stub at the edge of the view). Torch-free and Qt-free, so the editor
only draws what this says.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.graph.grouping import block_path, block_ports, nodes_in, parents
from engine.graph.model import Edge, Graph, GraphError


@dataclass(frozen=True)
class ViewEdge:
    """An edge as drawn: between two drawn items, each end a node's port or a collapsed block's port."""

    src: str
    src_port: str
    dst: str
    dst_port: str
    edge: Edge


@dataclass(frozen=True)
class LevelView:
    block_id: str | None  # the opened block; None for the top level
    breadcrumbs: tuple[str, ...]  # the opened block's enclosing blocks, outermost first, then itself
    nodes: tuple[str, ...]  # drawn as themselves
    blocks: tuple[str, ...]  # drawn collapsed
    edges: tuple[ViewEdge, ...]
    boundary: tuple[Edge, ...]  # edges with one end outside the opened block


def level_view(graph: Graph, block_id: str | None = None) -> LevelView:
    """What to draw with `block_id` opened (None: the top level)."""
    owner = parents(graph)
    if block_id is not None and block_id not in graph.blocks:
        raise GraphError(f"no block with id {block_id!r}")
    nodes = tuple(n for n in graph.nodes if owner.get(n) == block_id)
    blocks = tuple(b for b in graph.blocks if owner.get(b) == block_id)
    inside = set(graph.nodes) if block_id is None else set(nodes_in(graph, block_id))
    drawn: dict[str, str] = {n: n for n in nodes}
    for child in blocks:
        drawn.update((n, child) for n in nodes_in(graph, child))
    edges, boundary = [], []
    for edge in graph.edges:
        if edge.src not in inside or edge.dst not in inside:
            if edge.src in inside or edge.dst in inside:
                boundary.append(edge)
            continue
        src, dst = drawn[edge.src], drawn[edge.dst]
        if src == dst and src in graph.blocks:
            continue  # inside one collapsed block
        src_port = edge.src_port if src == edge.src else f"{edge.src}.{edge.src_port}"
        dst_port = edge.dst_port if dst == edge.dst else f"{edge.dst}.{edge.dst_port}"
        edges.append(ViewEdge(src, src_port, dst, dst_port, edge))
    crumbs = (*block_path(graph, block_id, owner), block_id) if block_id is not None else ()
    return LevelView(block_id, crumbs, nodes, blocks, tuple(edges), tuple(boundary))


def port_edge(graph: Graph, src: tuple[str, str], dst: tuple[str, str]) -> Edge:
    """The graph edge a user draws to or from a collapsed block's port (`conv1.in`, `relu.out`).

    `src`/`dst` are (item, port) as drawn; a block's port name is resolved to its member node's port.
    """
    ends = []
    for item, port in (src, dst):
        if item in graph.blocks:
            node_id, _, inner = port.partition(".")
            if node_id not in nodes_in(graph, item) or not inner:
                raise GraphError(f"block `{item}` has no port {port!r}")
            ends.extend((node_id, inner))
        else:
            ends.extend((item, port))
    return Edge(*ends)


def block_port_names(graph: Graph, block_id: str) -> tuple[list[str], list[str]]:
    """The input and output port names a collapsed block shows."""
    ports = block_ports(graph, block_id)
    return [p.name for p in ports.inputs], [p.name for p in ports.outputs]
