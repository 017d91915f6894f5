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

import math
from dataclasses import dataclass, field
from statistics import median

COLUMN_GAP = 100.0  # between columns: room for a shape label on every edge between them
NODE_GAP = 40.0  # between two nodes of a column
DUMMY_HEIGHT = 12.0  # the slot a routed edge takes in a column it crosses
DUMMY_GAP = 24.0  # between a routed edge's slot and a node of the same column
WRAP_AFTER = 40  # columns: a deeper graph is folded into bands (see _Bands)
SCREEN_ASPECT = 1.6
GUTTER = 80.0  # between two bands
GUTTER_LANE = 10.0  # more room in the gutter for each edge that runs along it
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
    # Imported here: igraph brings matplotlib with it (~0.4 s), which the editor's start and every
    # graph that already has positions would otherwise pay for a layout they never run.
    import igraph

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
    crossing = [(layers[links[i].src], layers[links[i].dst]) for i in forward]
    bands = _Bands(order, sizes, crossing)
    positions = [(bands.left[layers[v]], bands.y(layers[v], nodes[v].top)) for v in range(count)]
    routes: list[Route | None] = [None] * len(links)
    for i in forward:
        link = links[i]
        layer = layers[link.src]
        exit_x = bands.left[layer] + bands.width[layer]
        points: list[tuple[float, float]] = []
        for step in range(1, layers[link.dst] - layer + 1):
            here = layer + step
            if bands.band[here] != bands.band[here - 1]:  # down the right side, back along the gutter
                points += bands.gutter(bands.band[here - 1])
            if step <= len(dummies[i]):
                y = bands.y(here, dummies[i][step - 1].top) + DUMMY_HEIGHT / 2
                points += [(bands.left[here], y), (bands.left[here] + bands.width[here], y)]
        if points or exit_x > positions[link.src][0] + sizes[link.src][0] + 0.5:
            routes[i] = Route(exit_x, tuple(points))
    return Placement(positions, routes)


class _Bands:
    """Columns left to right; a graph more than WRAP_AFTER columns deep is folded into bands, one
    below the other, so that it is about as wide as a screen is for its height. An edge from one
    band to the next goes down past the band's right end, left along the gutter below it, and
    into the next band from the left: through free space only."""

    def __init__(self, order: dict[int, list[_Item]], sizes: list[tuple[float, float]], links: list[tuple[int, int]]):
        layers = list(range(min(order), max(order) + 1))
        self.width = {
            layer: max((sizes[item.node][0] for item in order.get(layer, []) if item.node is not None), default=0.0)
            for layer in layers
        }
        tops = {layer: min((item.top for item in order.get(layer, [])), default=0.0) for layer in layers}
        bottoms = {
            layer: max((item.top + item.height for item in order.get(layer, [])), default=0.0) for layer in layers
        }
        spans = [(self.width[c] + COLUMN_GAP, tops[c], bottoms[c]) for c in layers]
        count = _band_count(spans)
        per_band = -(-len(layers) // count)
        count = -(-len(layers) // per_band)  # 41 columns in 40 bands take 21 of them
        self.band = {layer: (layer - layers[0]) // per_band for layer in layers}
        self.left: dict[int, float] = {}
        x, previous = 0.0, None
        for layer in layers:
            if self.band[layer] != previous:
                x, previous = 0.0, self.band[layer]
            self.left[layer] = x
            x += self.width[layer] + COLUMN_GAP
        self.right = {b: max(self.left[c] + self.width[c] for c in layers if self.band[c] == b) for b in range(count)}
        crossings = {b: sum(self.band[s] <= b < self.band[d] for s, d in links) for b in range(count)}
        self.gutter_used = dict.fromkeys(range(count), 0)
        self.offset, self.bottom = {}, {}
        y = 0.0
        for b in range(count):
            band_top = min(tops[c] for c in layers if self.band[c] == b)
            band_bottom = max(bottoms[c] for c in layers if self.band[c] == b)
            self.offset[b] = y - band_top
            self.bottom[b] = y + band_bottom - band_top
            y = self.bottom[b] + GUTTER + GUTTER_LANE * crossings[b]

    def y(self, layer: int, top: float) -> float:
        return top + self.offset[self.band[layer]]

    def gutter(self, band: int) -> list[tuple[float, float]]:
        """The next free lane of the gutter below `band`: from past its right end to before its left."""
        lane = self.bottom[band] + GUTTER / 2 + GUTTER_LANE * self.gutter_used[band]
        self.gutter_used[band] += 1
        return [(self.right[band] + COLUMN_GAP / 2, lane), (-COLUMN_GAP / 2, lane)]


def _band_count(spans: list[tuple[float, float, float]]) -> int:
    """How many bands bring the layout closest to SCREEN_ASPECT (width over height); one for a
    graph of WRAP_AFTER columns or fewer. `spans`: each column's (width with its gap, top, bottom)."""
    if len(spans) <= WRAP_AFTER:
        return 1
    best, best_miss = 1, math.inf
    for count in range(1, len(spans) // (WRAP_AFTER // 4) + 1):
        per_band = -(-len(spans) // count)
        bands = [spans[i : i + per_band] for i in range(0, len(spans), per_band)]
        width = max(sum(w for w, _, _ in band) for band in bands)
        height = sum(max(b for _, _, b in band) - min(t for _, t, _ in band) + GUTTER for band in bands)
        miss = abs(math.log(width / max(height, 1.0) / SCREEN_ASPECT))
        if miss < best_miss:
            best, best_miss = count, miss
    return best


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
