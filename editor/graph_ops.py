"""Edits on an engine Graph that the editor offers: placing, pasting, deleting, auto-layout and
the check for sensible connections. Plain functions, no Qt, so the commands stay thin and these
are tested headless. Quick fixes are the engine's own (`engine.analysis.fixes`)."""

from __future__ import annotations

from typing import Any

from engine.graph import Edge, Graph
from engine.graph.layout import (  # noqa: F401 - the editor's layout API
    COLUMN_STEP,
    auto_layout,
    estimated_height,
    estimated_width,
    place_unpositioned,
    position,
    set_position,
)
from engine.registry import catalog

PASTE_OFFSET = 40.0


def add_node(graph: Graph, type_id: str, x: float, y: float, params: dict | None = None) -> str:
    node = graph.add_node(type_id, params=params)
    set_position(graph, node.id, x, y)
    return node.id


def delete_nodes(graph: Graph, node_ids: list[str]) -> None:
    for node_id in node_ids:
        if node_id in graph.nodes:
            graph.remove_node(node_id)


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
    if edge.dst in graph.ancestors([edge.src]):
        return "that edge would make a cycle"
    return None


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


def paste(graph: Graph, data: dict[str, Any], offset: float = PASTE_OFFSET) -> list[str]:
    """Add a fragment with fresh ids, shifted by `offset`; returns the new ids."""
    registry = catalog()
    renamed: dict[str, str] = {}
    for entry in data.get("nodes", []):
        if entry.get("type") not in registry:
            continue
        node = graph.add_node(entry["type"], params=dict(entry.get("params", {})))
        ui = dict(entry.get("ui", {}))
        ui["x"] = float(ui.get("x", 0.0)) + offset
        ui["y"] = float(ui.get("y", 0.0)) + offset
        node.ui = ui
        renamed[entry["id"]] = node.id
    for src, src_port, dst, dst_port in data.get("edges", []):
        if src in renamed and dst in renamed:
            graph.connect(renamed[src], src_port, renamed[dst], dst_port)
    return list(renamed.values())


# -- auto-layout --------------------------------------------------------------------------------
