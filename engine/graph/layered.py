"""A layered (Sugiyama-style) left-to-right layout on plain data, with long edges routed.

The caller gives each node its layer (a column), its size and the links between nodes. igraph's
Sugiyama layout (C core) inserts a dummy vertex wherever a link crosses a column and orders every
column to keep crossings few; the coordinates are our own, because igraph knows no node sizes:
columns are as wide as their widest node, and the vertical places come from sweeps that pull each
node (or dummy) level with the ports it connects to, packed without overlap by isotonic regression.
Chains come out straight and branches stacked. A link that crosses columns keeps a slot in each
column (its bend points), so a drawn edge that follows them never passes through a node.

Measured against grandalf on every example and the 500-node graph: bench/bench_layout.py,
docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

import igraph

COLUMN_GAP = 100.0  # between columns: room for a shape label on every edge between them
NODE_GAP = 40.0  # between two nodes of a column
DUMMY_HEIGHT = 12.0  # the slot a routed edge takes in a column it crosses
DUMMY_GAP = 24.0  # between a routed edge's slot and a node of the same column
SWEEPS = 7  # odd: the last sweep runs rightwards, so chains end level with their inputs


@dataclass(frozen=True)
class Link:
    """An edge from node `src` to node `dst`; the offsets are its ports' heights below each node's top."""

    src: int
    dst: int
    src_offset: float
    dst_offset: float


@dataclass(frozen=True)
class Route:
    """Where a drawn edge goes: straight right from its source's port to `exit_x` (the source's
    column edge, so it clears wider nodes of that column), then through `points`: for each column
    it crosses, the point where it enters and the point where it leaves, at its slot's height."""

    exit_x: float
    points: tuple[tuple[float, float], ...] = ()


@dataclass
class Placement:
    """Top-left corner of every node, and the route of every link that needs one (None: a straight
    S-curve from port to port is clear, or the link goes backwards and is not routed)."""

    positions: list[tuple[float, float]]
    routes: list[Route | None] = field(default_factory=list)


@dataclass
class _Item:
    """A node or a dummy in a column."""

    height: float
    node: int | None  # None for a dummy
    top: float = 0.0
    preds: list[tuple[_Item, float, float]] = field(default_factory=list)  # (item, its offset, my offset)
    succs: list[tuple[_Item, float, float]] = field(default_factory=list)

    @property
    def weight(self) -> float:
        return 1.0 if self.node is not None else 0.5  # where a node and an edge's slot compete, the node wins


def place(layers: list[int], sizes: list[tuple[float, float]], links: list[Link]) -> Placement:
    """Positions for nodes `0..n-1` in columns `layers` (sizes are (width, height)), and routes."""
    count = len(layers)
    if count == 0:
        return Placement([], [None] * len(links))
    forward = [i for i, link in enumerate(links) if layers[link.dst] > layers[link.src]]
    graph = igraph.Graph(n=count, edges=[(links[i].src, links[i].dst) for i in forward], directed=True)
    ordered = graph.layout_sugiyama(layers=list(layers), maxiter=100)
    nodes = [_Item(sizes[v][1], v) for v in range(count)]
    columns: dict[int, list[tuple[float, _Item]]] = {}
    for v, item in enumerate(nodes):
        columns.setdefault(layers[v], []).append((ordered.coords[v][0], item))
    dummies: dict[int, list[_Item]] = {}
    for slot, i in enumerate(forward):
        link, chain = links[i], []
        for x, y in ordered.edge_routing[slot]:
            dummy = _Item(DUMMY_HEIGHT, None)
            columns.setdefault(round(y), []).append((x, dummy))
            chain.append(dummy)
        dummies[i] = chain
        hops = [(nodes[link.src], link.src_offset)] + [(d, DUMMY_HEIGHT / 2) for d in chain]
        hops.append((nodes[link.dst], link.dst_offset))
        for (a, a_off), (b, b_off) in zip(hops, hops[1:], strict=False):
            a.succs.append((b, a_off, b_off))
            b.preds.append((a, b_off, a_off))
    order = {layer: [item for _, item in sorted(column, key=lambda e: e[0])] for layer, column in columns.items()}
    _assign_heights(order)
    left, width = _column_extents(order, sizes)
    top = min(item.top for column in order.values() for item in column)
    positions = [(left[layers[v]], nodes[v].top - top) for v in range(count)]
    routes: list[Route | None] = [None] * len(links)
    for i in forward:
        link = links[i]
        layer = layers[link.src]
        exit_x = left[layer] + width[layer]
        points: list[tuple[float, float]] = []
        for step, dummy in enumerate(dummies[i], start=1):
            y = dummy.top - top + DUMMY_HEIGHT / 2
            points += [(left[layer + step], y), (left[layer + step] + width[layer + step], y)]
        if points or exit_x > positions[link.src][0] + sizes[link.src][0] + 0.5:
            routes[i] = Route(exit_x, tuple(points))
    return Placement(positions, routes)


def _column_extents(order: dict[int, list[_Item]], sizes: list[tuple[float, float]]):
    """Left edge and width of every column from 0 to the last, each as wide as its widest node."""
    left: dict[int, float] = {}
    width: dict[int, float] = {}
    x = 0.0
    for layer in range(min(order), max(order) + 1):
        widths = [sizes[item.node][0] for item in order.get(layer, []) if item.node is not None]
        left[layer], width[layer] = x, max(widths, default=0.0)
        x += width[layer] + COLUMN_GAP
    return left, width


def _gap(above: _Item, below: _Item) -> float:
    if above.node is not None and below.node is not None:
        return NODE_GAP
    return DUMMY_GAP if above.node is not None or below.node is not None else DUMMY_HEIGHT


def _assign_heights(order: dict[int, list[_Item]]) -> None:
    """Sweep right, then left, and so on: each item wants the median height its neighbours in the
    previous column give its ports; each column is then packed as close to that as order allows."""
    for column in order.values():
        y = 0.0
        for item in column:
            item.top = y
            y += item.height + NODE_GAP
    layers = sorted(order)
    for sweep in range(SWEEPS):
        rightwards = sweep % 2 == 0
        for layer in layers[1:] if rightwards else reversed(layers[:-1]):
            column = order[layer]
            wanted = []
            for item in column:
                neighbours = item.preds if rightwards else item.succs
                # a node lines up with the nodes it connects to; the slots of long edges bend instead
                real = [n for n in neighbours if n[0].node is not None] or neighbours
                if real:
                    wanted.append((median(n.top + n_off - own_off for n, n_off, own_off in real), item.weight))
                else:
                    wanted.append((item.top, 0.05))  # nothing pulls it: stay, but give way
            gaps = [a.height + _gap(a, b) for a, b in zip(column, column[1:], strict=False)]
            for item, top in zip(column, _pack(wanted, gaps), strict=True):
                item.top = top


def _pack(wanted: list[tuple[float, float]], gaps: list[float]) -> list[float]:
    """Tops as close (least squares, weighted) to the wanted ones as keeping order and gaps allows.

    With s_i the sum of the gaps above item i, the tops minus s_i must not decrease: an isotonic
    regression of (wanted - s_i), solved by pooling adjacent violators."""
    shift = [0.0]
    for gap in gaps:
        shift.append(shift[-1] + gap)
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for (want, weight), s in zip(wanted, shift, strict=True):
        blocks.append([want - s, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, w, n = blocks.pop()
            prev = blocks[-1]
            total = prev[1] + w
            prev[0] = (prev[0] * prev[1] + mean * w) / total
            prev[1], prev[2] = total, prev[2] + n
    tops: list[float] = []
    for mean, _, n in blocks:
        tops += [mean] * n
    return [t + s for t, s in zip(tops, shift, strict=True)]
