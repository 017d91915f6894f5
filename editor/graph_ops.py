"""Edits on an engine Graph that the editor offers: placing, pasting, deleting, quick fixes,
auto-layout and the check for sensible connections. Plain functions, no Qt, so the
commands stay thin and these are tested headless."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.graph import Edge, Graph, GraphError
from engine.registry import catalog

COLUMN_STEP = 215.0
ROW_STEP = 150.0
PASTE_OFFSET = 40.0
WRAP_COLUMNS = 7
COLUMN_GAP = 60.0
MIN_NODE_WIDTH = 150.0
BAND_GAP = 60.0


def position(graph: Graph, node_id: str) -> tuple[float, float]:
    ui = graph.nodes[node_id].ui
    return float(ui.get("x", 0.0)), float(ui.get("y", 0.0))


def set_position(graph: Graph, node_id: str, x: float, y: float) -> None:
    graph.nodes[node_id].ui.update(x=round(float(x), 1), y=round(float(y), 1))


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
        "nodes": [{"id": n, "type": graph.nodes[n].type_id, "params": graph.nodes[n].params,
                   "ui": graph.nodes[n].ui} for n in chosen],
        "edges": [[e.src, e.src_port, e.dst, e.dst_port] for e in graph.edges
                  if e.src in chosen and e.dst in chosen],
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


# -- quick fixes --------------------------------------------------------------------------------

def describe_fix(fix: dict) -> str:
    """The button text for a quick fix."""
    kind = fix.get("kind")
    if kind == "insert_node" and fix.get("type") in catalog():
        return f"Insert {catalog().get(fix['type']).title}"
    if kind == "connect":
        return f"Connect {fix.get('src')}.{fix.get('src_port')}"
    if kind == "set_param":
        return f"Set {fix.get('param', fix.get('name'))} to {fix.get('value')}"
    return "Fix"


def apply_fix(graph: Graph, node_id: str | None, fix: dict) -> list[str]:
    """Apply a quick fix from a Problem; returns ids of nodes it added. Raises GraphError
    when the fix no longer fits the graph (it changed since the analysis)."""
    kind = fix.get("kind")
    if kind == "connect":
        reconnect(graph, [], [Edge(fix["src"], fix["src_port"], fix["dst"], fix["dst_port"])])
        return []
    if kind == "set_param":
        target = fix.get("node", node_id)
        name = fix.get("param", fix.get("name"))
        if target not in graph.nodes or name is None:
            raise GraphError("this fix no longer applies")
        node = graph.nodes[target]
        param = catalog().get(node.type_id).param_index[name]
        node.params[name] = param.check(fix["value"])
        return []
    if kind == "insert_node":
        return [_insert_before(graph, node_id, fix)]
    raise GraphError(f"unknown quick fix {kind!r}")


def _insert_before(graph: Graph, node_id: str | None, fix: dict) -> str:
    if node_id not in graph.nodes:
        raise GraphError("this fix no longer applies")
    port = fix.get("port", "in")
    incoming = [e for e in graph.edges_into(node_id) if e.dst_port == port]
    if not incoming:
        raise GraphError(f"nothing is connected to `{port}` any more")
    edge = incoming[0]
    new_type = catalog().get(fix["type"])
    # make room: the node and everything downstream of it move one column to the right
    downstream = _descendants(graph, node_id)
    x, y = position(graph, node_id)
    for other in downstream:
        ox, oy = position(graph, other)
        set_position(graph, other, ox + COLUMN_STEP, oy)
    new_id = add_node(graph, new_type.type_id, x, y, params=dict(fix.get("params", {})))
    graph.disconnect(edge)
    graph.connect(edge.src, edge.src_port, new_id, new_type.inputs[0].name)
    graph.connect(new_id, new_type.outputs[0].name, node_id, port)
    return new_id


def _descendants(graph: Graph, node_id: str) -> list[str]:
    seen, todo = [], [node_id]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(graph.successors(current))
    return seen


# -- auto-layout --------------------------------------------------------------------------------

def estimated_height(graph: Graph, node_id: str) -> float:
    """About how tall a node is drawn: header, one row per port, footer."""
    type_id = graph.nodes[node_id].type_id
    if type_id not in catalog():
        return 80.0
    node_type = catalog().get(type_id)
    return 74.0 + 23.0 * max(len(node_type.inputs), len(node_type.outputs), 1)


def estimated_width(graph: Graph, node_id: str) -> float:
    """About how wide a node is drawn: its title decides (the canvas measures the real one)."""
    type_id = graph.nodes[node_id].type_id
    title = catalog().get(type_id).title if type_id in catalog() else type_id
    return max(MIN_NODE_WIDTH, 8.0 * len(title) + 56.0)


def place_unpositioned(graph: Graph) -> bool:
    """Give positions to a graph whose nodes have none (files written by code). Returns True
    when it placed them; graphs with positions are left alone."""
    if all("x" in n.ui and "y" in n.ui for n in graph.nodes.values()):
        return False
    for node_id, (x, y) in auto_layout(graph).items():
        if not ("x" in graph.nodes[node_id].ui and "y" in graph.nodes[node_id].ui):
            set_position(graph, node_id, x, y)
    return True


def auto_layout(graph: Graph, heights: dict[str, float] | None = None, widths: dict[str, float] | None = None,
                wrap: int = WRAP_COLUMNS) -> dict[str, tuple[float, float]]:
    """Left-to-right layered positions: a node's column is its longest path from a source;
    within a column, nodes are ordered by where their inputs sit to keep edges short.
    A long chain wraps after `wrap` columns into a new band below, so it stays readable."""
    heights = heights or {n: estimated_height(graph, n) for n in graph.nodes}
    widths = widths or {n: estimated_width(graph, n) for n in graph.nodes}
    depth: dict[str, int] = {}
    order = _topological(graph)
    for node_id in order:
        preds = graph.predecessors(node_id)
        depth[node_id] = max((depth[p] + 1 for p in preds if p in depth), default=0)
    columns: dict[int, list[str]] = defaultdict(list)
    for node_id in order:
        columns[depth[node_id]].append(node_id)
    positions: dict[str, tuple[float, float]] = {}
    band_top, band_bottom, band, x = 0.0, 0.0, 0, 0.0
    for column in sorted(columns):
        if column // wrap != band:  # start the next band below everything placed so far
            band = column // wrap
            band_top = band_bottom + BAND_GAP
            x = 0.0
        ids = columns[column]

        def barycentre(n: str, top: float = band_top) -> float:
            ys = [positions[p][1] for p in graph.predecessors(n) if p in positions]
            return sum(ys) / len(ys) if ys else top

        ids.sort(key=barycentre)
        y = band_top
        for node_id in ids:
            want = barycentre(node_id)
            y = max(y, want if want >= band_top else band_top)
            positions[node_id] = (x, y)
            y += heights.get(node_id, 100.0) + 40.0
            band_bottom = max(band_bottom, y)
        x += max(COLUMN_STEP, max(widths.get(n, MIN_NODE_WIDTH) for n in ids) + COLUMN_GAP)
    return positions


def _topological(graph: Graph) -> list[str]:
    indegree = {n: 0 for n in graph.nodes}
    for e in graph.edges:
        indegree[e.dst] += 1
    ready = [n for n in graph.nodes if indegree[n] == 0]
    order: list[str] = []
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for succ in graph.successors(node_id):
            for e in graph.edges:
                if e.src == node_id and e.dst == succ:
                    indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    order.extend(n for n in graph.nodes if n not in order)  # nodes on a cycle go last
    return order
