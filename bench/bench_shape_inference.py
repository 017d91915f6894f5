"""How long validation + shape inference take on a 500-node graph (budget: 50 ms per edit).

    python bench/bench_shape_inference.py

Builds a branching CNN of residual blocks (convolutions, batch norm, ReLU, Add) plus a head,
loss and optimizer, 500 nodes in all, and times `analyze()` (what the editor runs after every
edit). The baseline in the same run is parsing the graph file (`loads_graph`), which the
editor does not repeat per edit; both are medians of repeated runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import analyze  # noqa: E402
from engine.graph import Graph, dumps_graph, loads_graph  # noqa: E402

BUDGET_MS = 50.0
# analyze / parse when this bench was written (3.6 ms / 3.5 ms): both walk the graph once, so the
# ratio hides the machine's speed and load; well above it means the analysis grew a slow path.
RATIO_WHEN_WRITTEN = 1.02
RATIO_ALARM = 1.5


def residual_cnn(target_nodes: int = 500) -> Graph:
    graph = Graph(name="benchmark residual CNN")
    graph.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data")
    graph.add_node("layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, node_id="stem")
    graph.connect("data", "x", "stem", "in")
    previous = "stem"
    block = 0
    # each block: conv -> bn -> relu -> conv -> bn -> add(shortcut) -> relu = 7 nodes
    while len(graph.nodes) + 7 + 5 <= target_nodes:
        block += 1
        ids = [f"b{block}_{name}" for name in ("conv1", "bn1", "relu1", "conv2", "bn2", "add", "relu2")]
        types = [
            "layers.Conv2d",
            "layers.BatchNorm2d",
            "activations.ReLU",
            "layers.Conv2d",
            "layers.BatchNorm2d",
            "merge.Add",
            "activations.ReLU",
        ]
        for node_id, type_id in zip(ids, types, strict=True):
            params = {"out_channels": 16, "kernel_size": 3, "padding": 1} if type_id == "layers.Conv2d" else {}
            graph.add_node(type_id, params, node_id=node_id)
        graph.connect(previous, "out", ids[0], "in")
        for a, b in zip(ids[:4], ids[1:5], strict=True):
            graph.connect(a, "out", b, "in")
        graph.connect(ids[4], "out", ids[5], "a")
        graph.connect(previous, "out", ids[5], "b")
        graph.connect(ids[5], "out", ids[6], "in")
        previous = ids[6]
    for node_id, type_id, params in (
        ("gap", "layers.AdaptiveAvgPool2d", {}),
        ("flat", "layers.Flatten", {}),
        ("head", "layers.Linear", {"out_features": 10}),
    ):
        graph.add_node(type_id, params, node_id=node_id)
        graph.connect(previous, "out", node_id, "in")
        previous = node_id
    while len(graph.nodes) < target_nodes - 2:  # pad with a side branch of activations
        node = graph.add_node("activations.ReLU")
        graph.connect("stem", "out", node.id, "in")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect("head", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def median_ms(fn, repeats: int) -> float:
    fn()  # warm caches (dataset description, imports)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    graph = residual_cnn()
    text = dumps_graph(graph)
    analysis = analyze(graph)
    assert not analysis.errors, analysis.errors[:3]
    assert len(graph.nodes) == 500
    analyze_ms = median_ms(lambda: analyze(graph), 30)
    parse_ms = median_ms(lambda: loads_graph(text), 30)
    print(f"graph: {len(graph.nodes)} nodes, {len(graph.edges)} edges, {len(analysis.specs)} inferred shapes")
    print(f"analyze (validate + infer shapes): {analyze_ms:.1f} ms median of 30")
    print(f"baseline, parsing the graph file:  {parse_ms:.1f} ms median of 30")
    ratio = analyze_ms / parse_ms
    verdict = "REGRESSION: the analysis got slower than parsing" if ratio > RATIO_ALARM else "ok"
    print(
        f"ratio analyze / parse: {ratio:.2f} (was {RATIO_WHEN_WRITTEN:.2f} when written; "
        f"above {RATIO_ALARM} means a regression): {verdict}"
    )
    print(
        f"ratio analyze / 50 ms budget: {analyze_ms / BUDGET_MS:.2f} ({'within' if analyze_ms <= BUDGET_MS else 'OVER'} budget)"
    )


if __name__ == "__main__":
    main()
