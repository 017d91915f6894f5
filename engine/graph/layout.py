"""Node positions: the `{x, y}` convention of a node's `ui` block and a readable auto-layout.

Plain data, no Qt and no torch: the editor, the importers and the example builder share it.
"""

from __future__ import annotations

import math
from collections import defaultdict

from engine.graph.model import Graph
from engine.registry import catalog

COLUMN_STEP = 215.0
WRAP_COLUMNS = 7
COLUMN_GAP = 60.0
MIN_NODE_WIDTH = 150.0
BAND_GAP = 60.0


MAX_COORDINATE = 1e7  # far beyond any laid-out graph; larger values break the canvas's zoom


def position(graph: Graph, node_id: str) -> tuple[float, float]:
    """The node's position; (0, 0) when the file's is not usable (the editor draws such a node apart)."""
    return usable_position(graph.nodes[node_id].ui) or (0.0, 0.0)


def usable_position(ui: dict) -> tuple[float, float] | None:
    """`{x, y}` when both are finite numbers within MAX_COORDINATE (a missing one is 0); else None.

    Graph files keep `ui` as written, so it may hold text, null, lists or NaN."""
    values = []
    for key in ("x", "y"):
        value = ui.get(key, 0.0) if isinstance(ui, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
            return None
        values.append(float(value))
    return values[0], values[1]


def set_position(graph: Graph, node_id: str, x: float, y: float) -> None:
    graph.nodes[node_id].ui.update(x=round(float(x), 1), y=round(float(y), 1))


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


def auto_layout(
    graph: Graph,
    heights: dict[str, float] | None = None,
    widths: dict[str, float] | None = None,
    wrap: int = WRAP_COLUMNS,
) -> dict[str, tuple[float, float]]:
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
