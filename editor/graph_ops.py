"""Edits on an engine Graph that the editor offers: placing, pasting, deleting, auto-layout and
the check for sensible connections. Plain functions, no Qt, so the commands stay thin and these
are tested headless. Quick fixes are the engine's own (`engine.analysis.fixes`)."""

from __future__ import annotations

from typing import Any

from engine.analysis import analyze
from engine.graph import Edge, Graph
from engine.graph.layout import (  # noqa: F401 - the editor's layout API
    COLUMN_STEP,
    auto_layout,
    estimated_height,
    estimated_width,
    lay_out,
    position,
    set_position,
)
from engine.graph.layout import place_unpositioned as place_some
from engine.registry import catalog

PASTE_OFFSET = 40.0


def place_unpositioned(graph: Graph) -> bool:
    """Lay out a graph opened without positions (a file written by code): with no position at all, the whole
    layout, edge routes too (`lay_out`), so its long edges go around the nodes rather than straight across
    the drawing; with some, only the nodes without one are placed. True when anything was placed."""
    if graph.nodes and not any("x" in n.ui or "y" in n.ui for n in graph.nodes.values()):
        lay_out(graph)
        return True
    return place_some(graph)


def add_node(graph: Graph, type_id: str, x: float, y: float, params: dict | None = None) -> str:
    node = graph.add_node(type_id, params=params)
    set_position(graph, node.id, x, y)
    return node.id


def delete_nodes(graph: Graph, node_ids: list[str]) -> None:
    for node_id in node_ids:
        if node_id in graph.nodes:
            graph.remove_node(node_id)


def delete_and_reconnect(graph: Graph, node_ids: list[str]) -> list[Edge]:
    """Delete nodes; where a node sat in a chain (one edge in), connect what fed it to what it fed.

    The engine's analysis decides whether the shapes allow it: a bridge is kept only when no node
    gets an error it did not have before (a Flatten between a convolution and a Linear layer
    cannot be bypassed; a ReLU or a Dropout can). Returns the bridges made.
    """
    bridges: list[Edge] = []
    for node_id in node_ids:
        if node_id not in graph.nodes:
            continue
        had_errors = _nodes_with_errors(graph)
        incoming, outgoing = graph.edges_into(node_id), graph.edges_out_of(node_id)
        graph.remove_node(node_id)
        bridges = [b for b in bridges if b in graph.edges]  # a bridge into this node went with it
        if len(incoming) != 1:
            continue
        for out in outgoing:
            bridge = Edge(incoming[0].src, incoming[0].src_port, out.dst, out.dst_port)
            if bridge in graph.edges or connection_refusal(graph, bridge):
                continue
            trial = graph.copy()
            trial.connect(bridge.src, bridge.src_port, bridge.dst, bridge.dst_port)
            if _nodes_with_errors(trial) <= had_errors:
                graph.connect(bridge.src, bridge.src_port, bridge.dst, bridge.dst_port)
                bridges.append(bridge)
    return bridges


def _nodes_with_errors(graph: Graph) -> set[str | None]:
    return {p.node_id for p in analyze(graph).problems if p.is_error}


def connection_refusal(graph: Graph, edge: Edge) -> str | None:
    """Why an edge makes no sense (None when it may be made). Shape mismatches are allowed:
    the analysis flags them on the node and offers a fix, which teaches more than a refusal."""
    registry = catalog()
    src, dst = graph.nodes.get(edge.src), graph.nodes.get(edge.dst)
    if src is None or dst is None:
        return "that node no longer exists"
    if edge.src == edge.dst:
        return "a node cannot feed itself"
    if src.type_id not in registry or dst.type_id not in registry:
        return None
    src_type, dst_type = registry.get(src.type_id), registry.get(dst.type_id)
    if src_type.role == "loss" and dst_type.role != "optimizer":
        return f"a loss value goes into an optimizer, not into {dst_type.title}"
    if dst_type.role == "optimizer" and src_type.role != "loss":
        return f"an optimizer minimizes a loss; {src_type.title} is not a loss"
    if creates_cycle(graph, edge):
        return "that edge would make a cycle"
    return None


def creates_cycle(graph: Graph, edge: Edge) -> bool:
    """Whether adding `edge` closes a cycle: its source lies downstream of its end. One walk that visits
    each node at most once (the canvas asks this for every wire dropped on a port)."""
    if edge.src == edge.dst:
        return True
    seen, todo = {edge.dst}, [edge.dst]
    while todo:
        for node_id in graph.successors(todo.pop()):
            if node_id == edge.src:
                return True
            if node_id not in seen:
                seen.add(node_id)
                todo.append(node_id)
    return False


def reconnect(graph: Graph, removed: list[Edge], added: list[Edge]) -> None:
    """Remove then add edges; an input that takes one edge drops its old one."""
    registry = catalog()
    for edge in removed:
        if edge in graph.edges:
            graph.disconnect(edge)
    for edge in added:
        dst = graph.nodes[edge.dst]
        port = registry.get(dst.type_id).input_port(edge.dst_port) if dst.type_id in registry else None
        if port is not None and not port.multiple:
            for old in [e for e in graph.edges_into(edge.dst) if e.dst_port == edge.dst_port]:
                graph.disconnect(old)
        graph.connect(edge.src, edge.src_port, edge.dst, edge.dst_port)


# -- copy and paste -----------------------------------------------------------------------------


def fragment(graph: Graph, node_ids: list[str]) -> dict[str, Any]:
    """The selected nodes and the edges between them, as plain JSON-ready data."""
    chosen = [n for n in graph.nodes if n in set(node_ids)]
    return {
        "nodes": [
            {"id": n, "type": graph.nodes[n].type_id, "params": graph.nodes[n].params, "ui": graph.nodes[n].ui}
            for n in chosen
        ],
        "edges": [[e.src, e.src_port, e.dst, e.dst_port] for e in graph.edges if e.src in chosen and e.dst in chosen],
    }


def paste(
    graph: Graph, data: dict[str, Any], at: tuple[float, float] | None = None, sizes: Sizes | None = None
) -> list[str]:
    """Add a fragment with fresh ids; returns the new ids. Its top-left corner goes to `at` (the
    cursor), or PASTE_OFFSET below-right of where it was copied, then to the nearest place where
    it covers no node (`sizes`: the drawn sizes of the nodes already there)."""
    registry = catalog()
    renamed: dict[str, str] = {}
    for entry in data.get("nodes", []):
        if entry.get("type") not in registry:
            continue
        node = graph.add_node(entry["type"], params=dict(entry.get("params", {})))
        ui = dict(entry.get("ui", {}))
        ui["x"], ui["y"] = float(ui.get("x", 0.0)), float(ui.get("y", 0.0))
        node.ui = ui
        renamed[entry["id"]] = node.id
    for src, src_port, dst, dst_port in data.get("edges", []):
        if src in renamed and dst in renamed:
            graph.connect(renamed[src], src_port, renamed[dst], dst_port)
    new_ids = list(renamed.values())
    if new_ids:
        left = min(position(graph, n)[0] for n in new_ids)
        top = min(position(graph, n)[1] for n in new_ids)
        start = (at[0] - left, at[1] - top) if at is not None else (PASTE_OFFSET, PASTE_OFFSET)
        dx, dy = free_offset(graph, new_ids, start, sizes)
        for node_id in new_ids:
            x, y = position(graph, node_id)
            set_position(graph, node_id, x + dx, y + dy)
    return new_ids


# -- placement: new nodes go where they cover nothing ---------------------------------------------

Sizes = dict[str, tuple[float, float]]  # node id -> drawn (width, height)
PLACEMENT_GAP = 20.0  # the least room left between a placed node and its neighbours
PLACEMENT_STEP = 20.0
PLACEMENT_RINGS = 80  # search up to 80 steps away in every direction


def node_rect(graph: Graph, node_id: str, sizes: Sizes | None = None) -> tuple[float, float, float, float]:
    """(x, y, width, height) of a node: the drawn size when known, else the estimate."""
    x, y = position(graph, node_id)
    width, height = (sizes or {}).get(node_id) or (estimated_width(graph, node_id), estimated_height(graph, node_id))
    return x, y, width, height


def free_offset(
    graph: Graph, moving: list[str], start: tuple[float, float], sizes: Sizes | None = None
) -> tuple[float, float]:
    """The shift nearest to `start` that puts the `moving` nodes where they overlap no other node."""
    moving_set = set(moving)
    others = [node_rect(graph, n, sizes) for n in graph.nodes if n not in moving_set]
    rects = [node_rect(graph, n, sizes) for n in moving]

    def fits(dx: float, dy: float) -> bool:
        return not any(_overlap((x + dx, y + dy, w, h), other) for x, y, w, h in rects for other in others)

    for ring in range(PLACEMENT_RINGS + 1):
        candidates = [
            (start[0] + i * PLACEMENT_STEP, start[1] + j * PLACEMENT_STEP)
            for i in range(-ring, ring + 1)
            for j in range(-ring, ring + 1)
            if max(abs(i), abs(j)) == ring
        ]
        candidates.sort(key=lambda c: (c[0] - start[0]) ** 2 + (c[1] - start[1]) ** 2)
        for dx, dy in candidates:
            if fits(dx, dy):
                return dx, dy
    return start


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    gap = PLACEMENT_GAP
    return (
        a[0] < b[0] + b[2] + gap and b[0] < a[0] + a[2] + gap and a[1] < b[1] + b[3] + gap and b[1] < a[1] + a[3] + gap
    )


def add_node_in_free_space(graph: Graph, type_id: str, x: float, y: float, sizes: Sizes | None = None) -> str:
    """Add a node at (x, y), or at the nearest place from there where it covers no node."""
    node_id = add_node(graph, type_id, x, y)
    dx, dy = free_offset(graph, [node_id], (0.0, 0.0), sizes)
    set_position(graph, node_id, x + dx, y + dy)
    return node_id


# -- auto-layout --------------------------------------------------------------------------------
