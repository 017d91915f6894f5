"""Node positions: the `{x, y}` convention of a node's `ui` block, and the auto-layout with edge routes.

Plain data, no Qt and no torch: the editor, the importers and the example builder share it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from engine.graph.layered import Link, Route, place
from engine.graph.model import Edge, Graph
from engine.registry import catalog

COLUMN_STEP = 215.0  # one column to the right, for a node placed beside another (quick fixes)
MIN_NODE_WIDTH = 150.0
PORT_TOP = 50.0  # the first port row starts below the header
PORT_ROW = 23.0
ROUTES_KEY = "routes"  # in a node's `ui`: the bend points of its incoming edges (see `drawn_route`)


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


def port_offset(graph: Graph, node_id: str, port: str, output: bool) -> float:
    """About how far below a node's top one of its ports is drawn (header, then one row per port)."""
    type_id = graph.nodes[node_id].type_id
    names = []
    if type_id in catalog():
        node_type = catalog().get(type_id)
        names = [p.name for p in (node_type.outputs if output else node_type.inputs)]
    return PORT_TOP + PORT_ROW * (names.index(port) if port in names else 0) + PORT_ROW / 2


@dataclass
class Arrangement:
    """What auto-layout decided: each node's top-left corner, and the bend points of edges that need them."""

    positions: dict[str, tuple[float, float]]
    routes: dict[Edge, Route]


def arrange(
    graph: Graph, heights: dict[str, float] | None = None, widths: dict[str, float] | None = None
) -> Arrangement:
    """A layered left-to-right layout (engine/graph/layered.py): a node's column is its longest path
    from a source (a source sits just before its first consumer), columns are ordered to keep
    crossings few, chains run straight, branches stack, and long edges get bend points around
    the nodes they pass. `heights`/`widths` are the drawn sizes (the editor measures them)."""
    heights = heights or {}
    widths = widths or {}
    ids = list(graph.nodes)
    index = {node_id: i for i, node_id in enumerate(ids)}
    sizes = [(widths.get(n) or estimated_width(graph, n), heights.get(n) or estimated_height(graph, n)) for n in ids]
    edges = [e for e in graph.edges if e.src in index and e.dst in index]
    links = [
        Link(
            index[e.src],
            index[e.dst],
            port_offset(graph, e.src, e.src_port, output=True),
            port_offset(graph, e.dst, e.dst_port, output=False),
        )
        for e in edges
    ]
    columns = _columns(graph)
    placement = place([columns[n] for n in ids], sizes, links)
    return Arrangement(
        {n: placement.positions[i] for i, n in enumerate(ids)},
        {e: r for e, r in zip(edges, placement.routes, strict=True) if r is not None},
    )


def auto_layout(
    graph: Graph, heights: dict[str, float] | None = None, widths: dict[str, float] | None = None
) -> dict[str, tuple[float, float]]:
    """The positions `arrange` gives (see there)."""
    return arrange(graph, heights, widths).positions


def lay_out(graph: Graph, heights: dict[str, float] | None = None, widths: dict[str, float] | None = None) -> None:
    """Arrange the graph and store the result in its nodes' `ui`: positions and edge routes."""
    apply_arrangement(graph, arrange(graph, heights, widths))


def apply_arrangement(graph: Graph, arrangement: Arrangement) -> None:
    for node in graph.nodes.values():
        node.ui.pop(ROUTES_KEY, None)
    for node_id, (x, y) in arrangement.positions.items():
        set_position(graph, node_id, x, y)
    for edge, route in arrangement.routes.items():
        graph.nodes[edge.dst].ui.setdefault(ROUTES_KEY, {})[route_key(edge)] = {
            "from": _rounded(arrangement.positions[edge.src]),
            "to": _rounded(arrangement.positions[edge.dst]),
            "exit": round(route.exit_x, 1),
            "points": [_rounded(p) for p in route.points],
        }


def route_key(edge: Edge) -> str:
    """How the destination node's `ui.routes` names an incoming edge: `src.port>dst_port`."""
    return f"{edge.src}.{edge.src_port}>{edge.dst_port}"


def _rounded(point: tuple[float, float]) -> list[float]:
    return [round(float(point[0]), 1), round(float(point[1]), 1)]


def drawn_route(
    ui: dict, edge: Edge, src_pos: tuple[float, float], dst_pos: tuple[float, float]
) -> tuple[float | None, list[tuple[float, float]]]:
    """The bends to draw `edge` through now: (exit x or None, points), from its destination's `ui`.

    Laid-out nodes that were not moved, or moved together by the same offset, keep their route
    (shifted by that offset). When only one end moved, the exit is dropped and only the bend points
    of the columns still between the two ends (left to right) are kept; with none left the edge is a plain curve.
    A route that is not well-formed is ignored."""
    stored = ui.get(ROUTES_KEY, {}).get(route_key(edge)) if isinstance(ui, dict) else None
    try:
        src_was, dst_was = _point(stored["from"]), _point(stored["to"])
        exit_x = float(stored["exit"])
        points = [_point(p) for p in stored["points"]]
    except (TypeError, KeyError, ValueError, IndexError):
        return None, []
    shift = (src_pos[0] - src_was[0], src_pos[1] - src_was[1])
    if abs(shift[0] - (dst_pos[0] - dst_was[0])) < 0.5 and abs(shift[1] - (dst_pos[1] - dst_was[1])) < 0.5:
        return exit_x + shift[0], [(x + shift[0], y + shift[1]) for x, y in points]
    kept = []  # whole columns only: a bend point pair is the edge's way across one column
    for (ax, ay), (bx, by) in zip(points[::2], points[1::2], strict=False):
        if src_pos[0] < ax and bx < dst_pos[0]:
            kept += [(ax, ay), (bx, by)]
    return None, kept


def _point(value) -> tuple[float, float]:
    x, y = float(value[0]), float(value[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError("not a finite point")
    return x, y


def _columns(graph: Graph) -> dict[str, int]:
    """Each node's column: its longest path from a source; a source moves right to just before
    its first consumer, so an input used late does not stretch an edge across the graph."""
    column: dict[str, int] = {}
    for node_id in _topological(graph):
        column[node_id] = max((column[p] + 1 for p in graph.predecessors(node_id) if p in column), default=0)
    for node_id in graph.nodes:
        if not graph.predecessors(node_id):
            later = [column[s] for s in graph.successors(node_id) if column[s] > column[node_id]]
            if later:
                column[node_id] = min(later) - 1
    return column


def _topological(graph: Graph) -> list[str]:
    indegree = {n: 0 for n in graph.nodes}
    for e in graph.edges:
        indegree[e.dst] += 1
    ready = deque(n for n in graph.nodes if indegree[n] == 0)
    order: list[str] = []
    while ready:
        node_id = ready.popleft()
        order.append(node_id)
        for edge in graph.edges_out_of(node_id):
            indegree[edge.dst] -= 1
            if indegree[edge.dst] == 0:
                ready.append(edge.dst)
    placed = set(order)
    order.extend(n for n in graph.nodes if n not in placed)  # nodes on a cycle go last
    return order
