from engine.graph import Graph
from engine.graph.layout import (
    auto_layout,
    estimated_height,
    estimated_width,
    place_unpositioned,
)


def chain(length: int) -> Graph:
    graph = Graph()
    graph.add_node("data.Input", {"shape": [4]}, node_id="x")
    previous = "x"
    for _ in range(length):
        node = graph.add_node("activations.ReLU")
        graph.connect(previous, "out", node.id, "in")
        previous = node.id
    return graph


def boxes_overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_a_chain_is_one_straight_row_left_to_right():
    graph = chain(12)
    positions = auto_layout(graph)
    order = list(graph.nodes)
    assert len({y for _, y in positions.values()}) == 1  # same ports on every node: one level line
    xs = [positions[n][0] for n in order]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    boxes = {n: (x, y, estimated_width(graph, n), estimated_height(graph, n)) for n, (x, y) in positions.items()}
    ids = list(boxes)
    assert not any(boxes_overlap(boxes[a], boxes[b]) for i, a in enumerate(ids) for b in ids[i + 1 :])


def test_place_unpositioned_leaves_positioned_graphs_alone():
    graph = chain(3)
    assert place_unpositioned(graph) is True
    before = {n: dict(node.ui) for n, node in graph.nodes.items()}
    graph.nodes["relu1"].ui = {"x": 999.0, "y": 5.0}
    assert place_unpositioned(graph) is False
    assert graph.nodes["relu1"].ui == {"x": 999.0, "y": 5.0}
    assert graph.nodes["x"].ui == before["x"]
