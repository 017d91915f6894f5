"""Auto-layout candidates on every example and the 500-node residual CNN: quality and time.

    python bench/bench_layout.py

Compares, with the same node sizes (the engine's estimates) and the same port heights:
- **netwright**: `engine.graph.layout.arrange` (igraph's Sugiyama ordering, our own sized
  coordinates and routes; what the editor, the importers and the example builder use);
- **igraph**: `Graph.layout_sugiyama` alone, its unit grid scaled to the largest node;
- **grandalf**: `SugiyamaLayout` (pure Python) with each node's size, rotated to run left to right.

Edges are measured as polylines from output port to input port through each layout's bend points:
crossings (pairs of edges whose segments cross), mean edge length, straight (share of edges drawn
as one level line), through (edge/node pairs where an edge crosses a box that is not its end),
overlaps (pairs of node boxes that overlap), and the layout's time (median of 3, seconds).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import igraph  # noqa: E402
from bench_shape_inference import residual_cnn  # noqa: E402
from grandalf.graphs import Edge as GEdge  # noqa: E402
from grandalf.graphs import Graph as GGraph  # noqa: E402
from grandalf.graphs import Vertex  # noqa: E402
from grandalf.layouts import SugiyamaLayout  # noqa: E402

from engine.graph import Graph, load_graph  # noqa: E402
from engine.graph.layout import _columns, arrange, estimated_height, estimated_width, port_offset  # noqa: E402

Box = tuple[float, float, float, float]
GAP = 100.0


def sizes(graph: Graph) -> dict[str, tuple[float, float]]:
    return {n: (estimated_width(graph, n), estimated_height(graph, n)) for n in graph.nodes}


def ports(graph: Graph, edge, boxes: dict[str, Box]) -> tuple[tuple[float, float], tuple[float, float]]:
    sx, sy, sw, _ = boxes[edge.src]
    dx, dy, _, _ = boxes[edge.dst]
    start = (sx + sw, sy + port_offset(graph, edge.src, edge.src_port, True))
    return start, (dx, dy + port_offset(graph, edge.dst, edge.dst_port, False))


def netwright(graph: Graph):
    size = sizes(graph)
    arranged = arrange(graph)
    boxes = {n: (x, y, *size[n]) for n, (x, y) in arranged.positions.items()}
    lines = []
    for edge in graph.edges:
        start, end = ports(graph, edge, boxes)
        route = arranged.routes.get(edge)
        middle = [(route.exit_x, start[1]), *route.points] if route else []
        lines.append([start, *middle, end])
    return boxes, lines


def igraph_alone(graph: Graph):
    ids = list(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    size = sizes(graph)
    step_x = max(w for w, _ in size.values()) + GAP
    step_y = max(h for _, h in size.values()) + 40.0
    g = igraph.Graph(n=len(ids), edges=[(index[e.src], index[e.dst]) for e in graph.edges], directed=True)
    columns = _columns(graph)
    layout = g.layout_sugiyama(layers=[columns[n] for n in ids])
    boxes = {n: (layout.coords[i][1] * step_x, layout.coords[i][0] * step_y, *size[n]) for i, n in enumerate(ids)}
    lines = []
    for k, edge in enumerate(graph.edges):
        start, end = ports(graph, edge, boxes)
        bends = [(ly * step_x + step_x / 2 - GAP / 2, lx * step_y + step_y / 2) for lx, ly in layout.edge_routing[k]]
        lines.append([start, *bends, end])
    return boxes, lines


class _View:
    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


class _EdgeView:
    def __init__(self):
        self.path: list = []

    def setpath(self, points):
        self.path = points


def grandalf(graph: Graph):
    size = sizes(graph)
    vertices = {n: Vertex(n) for n in graph.nodes}
    for n, v in vertices.items():
        v.view = _View(size[n][1], size[n][0])  # top-to-bottom layout, rotated below
    edges = []
    for e in graph.edges:
        edge = GEdge(vertices[e.src], vertices[e.dst])
        edge.view = _EdgeView()
        edges.append(edge)
    g = GGraph(list(vertices.values()), edges)
    boxes: dict[str, Box] = {}
    offset = 0.0
    for component in g.C:
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = 40.0, GAP
        layout.init_all()
        layout.draw()
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        shift = offset - min(xs)
        for v in component.sV:
            cx, cy = v.view.xy
            w, h = size[v.data]
            boxes[v.data] = (cy - w / 2, cx + shift - h / 2, w, h)
        offset = max(boxes[v.data][1] + boxes[v.data][3] for v in component.sV) + 60.0
    lines = []
    by_pair = {(e.v[0].data, e.v[1].data): e for e in edges}
    for e in graph.edges:
        start, end = ports(graph, e, boxes)
        path = by_pair[(e.src, e.dst)].view.path or []
        bends = [(y, x) for x, y in path[1:-1]]
        lines.append([start, *bends, end])
    return boxes, lines


def _crosses(p1, p2, q1, q2) -> bool:
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2, d3, d4 = side(q1, q2, p1), side(q1, q2, p2), side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def crossings(lines) -> int:
    segments = []
    for k, line in enumerate(lines):
        for a, b in zip(line, line[1:], strict=False):
            segments.append((min(a[0], b[0]), max(a[0], b[0]), k, a, b))
    segments.sort()
    pairs = set()
    for i, (_lo, hi, k, a, b) in enumerate(segments):
        for lo2, _, k2, c, d in segments[i + 1 :]:
            if lo2 > hi:
                break
            if k != k2 and (min(k, k2), max(k, k2)) not in pairs and _crosses(a, b, c, d):
                pairs.add((min(k, k2), max(k, k2)))
    return len(pairs)


def through(graph: Graph, boxes: dict[str, Box], lines) -> int:
    count = 0
    for edge, line in zip(graph.edges, lines, strict=True):
        hit = set()
        for a, b in zip(line, line[1:], strict=False):
            steps = max(2, int(abs(b[0] - a[0]) + abs(b[1] - a[1])) // 10)
            for s in range(steps + 1):
                x, y = a[0] + (b[0] - a[0]) * s / steps, a[1] + (b[1] - a[1]) * s / steps
                for n, (bx, by, bw, bh) in boxes.items():
                    if n not in (edge.src, edge.dst) and bx + 2 < x < bx + bw - 2 and by + 2 < y < by + bh - 2:
                        hit.add(n)
        count += len(hit)
    return count


def overlaps(boxes: dict[str, Box]) -> int:
    items = sorted(boxes.values())
    count = 0
    for i, (x, y, w, h) in enumerate(items):
        for x2, y2, _w2, h2 in items[i + 1 :]:
            if x2 >= x + w:
                break
            count += y < y2 + h2 and y2 < y + h
    return count


def measure(name: str, graph: Graph, method) -> dict:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        boxes, lines = method(graph)
        times.append(time.perf_counter() - start)
    length = [sum(abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in zip(line, line[1:], strict=False)) for line in lines]
    straight = sum(len(line) == 2 and abs(line[0][1] - line[1][1]) < 1 for line in lines)
    return {
        "crossings": crossings(lines),
        "mean length": statistics.mean(length) if length else 0.0,
        "straight": straight / max(1, len(lines)),
        "through": through(graph, boxes, lines) if len(graph.nodes) < 100 else "-",
        "overlaps": overlaps(boxes),
        "seconds": statistics.median(times),
    }


def main() -> None:
    graphs = [(p.stem, load_graph(p)) for p in sorted((ROOT / "resources" / "examples").glob("*.json"))]
    graphs.append(("residual_cnn_500", residual_cnn()))
    methods = {"netwright": netwright, "igraph": igraph_alone, "grandalf": grandalf}
    print("| graph | nodes | layout | crossings | mean edge length | straight | through | overlaps | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, graph in graphs:
        for method_name, method in methods.items():
            r = measure(name, graph, method)
            print(
                f"| {name} | {len(graph.nodes)} | {method_name} | {r['crossings']} | {r['mean length']:.0f} | "
                f"{r['straight']:.0%} | {r['through']} | {r['overlaps']} | {r['seconds']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
