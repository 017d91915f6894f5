"""The layered auto-layout: columns, stacked branches, no overlaps, and routes for long edges that
keep clear of every node, stored in the graph file and adjusted when the user moves nodes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from engine.graph import Edge, Graph, load_graph, save_graph
from engine.graph.layout import (
    ROUTES_KEY,
    arrange,
    drawn_route,
    estimated_height,
    estimated_width,
    lay_out,
    route_key,
)

ROOT = Path(__file__).resolve().parents[3]


def residual_cnn() -> Graph:
    spec = importlib.util.spec_from_file_location("bench_shape_inference", ROOT / "bench" / "bench_shape_inference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.residual_cnn()


def mlp() -> Graph:
    return load_graph(ROOT / "resources" / "examples" / "mlp_digits.json")


def boxes_of(graph: Graph, positions) -> dict[str, tuple[float, float, float, float]]:
    return {n: (x, y, estimated_width(graph, n), estimated_height(graph, n)) for n, (x, y) in positions.items()}


def inside(point, box, margin: float = 0.0) -> bool:
    x, y = point
    bx, by, bw, bh = box
    return bx - margin < x < bx + bw + margin and by - margin < y < by + bh + margin


@pytest.fixture(scope="module")
def big():
    graph = residual_cnn()
    return graph, arrange(graph)


def test_columns_follow_the_longest_path_and_a_source_sits_before_its_first_consumer():
    graph = mlp()
    positions = arrange(graph).positions
    xs = {n: x for n, (x, _) in positions.items()}
    assert xs["data"] < xs["fc1"] < xs["relu1"] < xs["fc2"] < xs["loss"] < xs["adam"]
    # an input used only deep in the graph sits just before its consumer, not in the first column
    graph.add_node("data.Input", {"shape": [128]}, node_id="late_input")
    graph.add_node("merge.Add", node_id="join")
    graph.connect("relu1", "out", "join", "a")
    graph.connect("late_input", "out", "join", "b")
    positions = arrange(graph).positions
    assert positions["late_input"][0] == positions["relu1"][0] < positions["join"][0]


def test_no_two_boxes_overlap_on_500_nodes(big):
    graph, arranged = big
    boxes = sorted(boxes_of(graph, arranged.positions).values())
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, _, h2 in boxes[i + 1 :]:
            if x2 >= x + w:
                break
            assert not (y < y2 + h2 and y2 < y + h), ((x, y), (x2, y2))


def test_long_edges_have_bend_points_clear_of_every_node(big):
    graph, arranged = big
    boxes = boxes_of(graph, arranged.positions)
    target = Edge("data", "y", "loss", "target")
    assert len(arranged.routes[target].points) > 100  # across the whole network, one slot per column
    skip = next(e for e in graph.edges if e.dst == "b1_add" and e.dst_port == "b")
    assert len(arranged.routes[skip].points) == 2 * 5  # past conv1, bn1, relu1, conv2, bn2
    for edge, route in arranged.routes.items():
        for a, b in zip(route.points[::2], route.points[1::2], strict=True):  # across a column or a gutter
            assert a[1] == b[1]
            for n, box in boxes.items():
                if n not in (edge.src, edge.dst):
                    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
                        point = (a[0] + (b[0] - a[0]) * t, a[1])
                        assert not inside(point, box, margin=10.0), (edge, n)


def test_a_very_deep_graph_is_folded_into_bands_about_a_screen_wide(big):
    graph, arranged = big
    boxes = boxes_of(graph, arranged.positions).values()
    width = max(x + w for x, _, w, _ in boxes) - min(x for x, _, _, _ in boxes)
    height = max(y + h for _, y, _, h in boxes) - min(y for _, y, _, _ in boxes)
    assert 0.8 < width / height < 3.2, (width, height)  # one 490-column strip would be ~100:1
    lanes = [
        (a, b)
        for route in arranged.routes.values()
        for a, b in zip(route.points[::2], route.points[1::2], strict=True)
        if b[0] < a[0]
    ]
    assert lanes  # edges between bands run back along a gutter, right to left
    small = mlp()
    assert len({y for _, y in arrange(small).positions.values()}) < len(small.nodes)  # a small graph is not folded


def test_chains_between_branches_stay_level(big):
    graph, arranged = big
    ys = [arranged.positions[f"b1_{n}"][1] for n in ("conv1", "bn1", "relu1", "conv2", "bn2")]
    assert len(set(ys)) == 1


def test_routes_are_stored_in_the_destination_and_survive_a_save(tmp_path):
    graph = mlp()
    lay_out(graph)
    target = Edge("data", "y", "loss", "target")
    stored = graph.nodes["loss"].ui[ROUTES_KEY][route_key(target)]
    assert stored["points"] and stored["to"] == [graph.nodes["loss"].ui["x"], graph.nodes["loss"].ui["y"]]
    save_graph(graph, tmp_path / "g.json")
    again = load_graph(tmp_path / "g.json")
    assert again.nodes["loss"].ui[ROUTES_KEY] == graph.nodes["loss"].ui[ROUTES_KEY]
    lay_out(again)  # a second layout replaces the routes, it does not pile them up
    assert set(again.nodes["loss"].ui[ROUTES_KEY]) == set(graph.nodes["loss"].ui[ROUTES_KEY])


def test_a_drawn_route_follows_moves_and_falls_back_when_one_end_moves():
    graph = mlp()
    lay_out(graph)
    target = Edge("data", "y", "loss", "target")
    ui = graph.nodes["loss"].ui
    stored = ui[ROUTES_KEY][route_key(target)]
    src, dst = tuple(stored["from"]), tuple(stored["to"])
    exit_x, points = drawn_route(ui, target, src, dst)
    assert exit_x == stored["exit"] and points == [tuple(p) for p in stored["points"]]
    moved = drawn_route(ui, target, (src[0] + 10, src[1] + 5), (dst[0] + 10, dst[1] + 5))
    assert moved[1] == [(x + 10, y + 5) for x, y in stored["points"]]
    # the loss dragged left past some bends: those are dropped, the ones still between the ends kept
    cut = stored["points"][2][0] + 1  # inside the second column the edge crosses
    exit_x, kept = drawn_route(ui, target, src, (cut, dst[1]))
    assert exit_x is None and kept == [tuple(p) for p in stored["points"][:2]]
    assert drawn_route(ui, target, src, (src[0] - 50, dst[1])) == (None, [])  # dragged behind its source
    assert drawn_route({ROUTES_KEY: {route_key(target): {"from": "x"}}}, target, src, dst) == (None, [])
    assert drawn_route({}, target, src, dst) == (None, [])
