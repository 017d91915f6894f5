"""Does the work on a graph grow linearly with its size? Load, analyze, count, compile, open in the editor.

    python bench/bench_large_graphs.py                   # 1k, 5k and 20k nodes; the editor at 1k and 5k
    python bench/bench_large_graphs.py --sizes 1000 5000 --no-editor

Two shapes of graph, each N nodes in all: a `chain` (Linear, ReLU, Linear, ReLU, ...) and a
`residual` stack (blocks of Linear -> ReLU -> Add(shortcut) -> ReLU, so half the nodes have
two inputs and every block output feeds two nodes), both from a Dataset to a loss and an
optimizer. The files have no positions, as a file written by code would not, so opening one
in the editor includes laying it out.

Steps, each timed on its own:
- load: parse the JSON file into a Graph (`loads_graph`);
- analyze: validation + shape inference (`analyze`, what `validate` runs and the editor runs after every edit);
- validate: load + analyze, i.e. `python -m engine validate` without interpreter start-up;
- count: parameter counts (`count_parameters`, what `summary` prints);
- compile: the torch.fx module (`compile_graph`);
- editor open: File > Open in a main window (offscreen), through drawing the canvas and the
  analysis on it.

It prints microseconds per node for each step and size, and for each step the ratio of the
per-node time at the largest size to that at the smallest: near 1 means linear (a quadratic
step would show about 20 between 1k and 20k). Medians of `--repeats` runs (one run for
compile and the editor, which take seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import Analysis, analyze  # noqa: E402
from engine.analysis.parameters import count_parameters  # noqa: E402
from engine.graph import Graph, dumps_graph, loads_graph  # noqa: E402

VALIDATE_BUDGET_S = 2.0  # for 20k nodes


def chain(size: int) -> Graph:
    graph = _start(size)
    previous, index = "data", 0
    while len(graph.nodes) < size - 3:
        index += 1
        node_id = f"fc{index}" if index % 2 else f"relu{index}"
        if index % 2:
            graph.add_node("layers.Linear", {"out_features": 16}, node_id=node_id)
        else:
            graph.add_node("activations.ReLU", node_id=node_id)
        graph.connect(previous, "x" if previous == "data" else "out", node_id, "in")
        previous = node_id
    return _finish(graph, previous)


def residual(size: int) -> Graph:
    graph = _start(size)
    graph.add_node("layers.Linear", {"out_features": 16}, node_id="stem")
    graph.connect("data", "x", "stem", "in")
    previous, block = "stem", 0
    while len(graph.nodes) + 4 <= size - 3:
        block += 1
        fc, relu, add, out = (f"b{block}_{part}" for part in ("fc", "relu", "add", "out"))
        graph.add_node("layers.Linear", {"out_features": 16}, node_id=fc)
        graph.add_node("activations.ReLU", node_id=relu)
        graph.add_node("merge.Add", node_id=add)
        graph.add_node("activations.ReLU", node_id=out)
        graph.connect(previous, "out", fc, "in")
        graph.connect(fc, "out", relu, "in")
        graph.connect(relu, "out", add, "a")
        graph.connect(previous, "out", add, "b")
        graph.connect(add, "out", out, "in")
        previous = out
    while len(graph.nodes) < size - 3:  # pad to exactly `size` with activations off the stem
        node = graph.add_node("activations.ReLU")
        graph.connect("stem", "out", node.id, "in")
    return _finish(graph, previous)


def _start(size: int) -> Graph:
    graph = Graph(name=f"benchmark {size} nodes")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    return graph


def _finish(graph: Graph, previous: str) -> Graph:
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.connect(previous, "out", "head", "in")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect("head", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def seconds(step: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_steps(graph: Graph, text: str, analysis: Analysis, repeats: int, with_compile: bool) -> dict[str, float]:
    """Seconds for each engine step on `graph` (`text` is its file)."""
    steps = {
        "load": seconds(lambda: loads_graph(text), repeats),
        "analyze": seconds(lambda: analyze(graph), repeats),
        "validate": seconds(lambda: analyze(loads_graph(text)), repeats),
        "count": seconds(lambda: count_parameters(graph, analysis), 1),
    }
    if with_compile:
        from engine.compiler import compile_graph

        steps["compile"] = seconds(lambda: compile_graph(graph, analysis=analysis), 1)
    return steps


class EditorOpener:
    """One offscreen main window that opens graph files, timed through the first full redraw."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6 import QtCore, QtWidgets

        from editor.mainwindow import MainWindow

        self.app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        self.folder = Path(tempfile.mkdtemp(prefix="netwright-bench-"))
        settings = QtCore.QSettings(str(self.folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        self.window = MainWindow(settings=settings, recovery_path=self.folder / "recovery.json", analysis_delay_ms=0)
        self.window.resize(1400, 900)
        self.window.show()
        self.app.processEvents()

    def open(self, path: Path) -> float:
        start = time.perf_counter()
        if not self.window.files.load_path(path, remember=False):
            raise SystemExit(f"the editor could not open {path}")
        self.app.processEvents()
        return time.perf_counter() - start

    def close(self) -> None:
        self.window.files.new_file()
        self.window.document.undo_stack.setClean()
        self.window.shutdown()
        self.window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--editor-sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--no-editor", action="store_true", help="skip opening in the editor")
    parser.add_argument("--no-compile", action="store_true", help="skip compiling (loads torch)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    warm = chain(10)  # load torch and the catalog before anything is timed
    count_parameters(warm)
    if not args.no_compile:
        from engine.compiler import compile_graph

        compile_graph(warm)
    editor = None if args.no_editor else EditorOpener()
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-"))
    per_node: dict[tuple[str, str], dict[int, float]] = {}
    print(f"{'graph':<9} {'nodes':>6} {'edges':>6}  {'step':<12} {'seconds':>8} {'us/node':>8}")
    for shape, build in (("chain", chain), ("residual", residual)):
        for size in args.sizes:
            graph = build(size)
            assert len(graph.nodes) == size, (shape, size, len(graph.nodes))
            text = dumps_graph(graph)
            path = folder / f"{shape}_{size}.json"
            path.write_text(text, encoding="utf-8")
            analysis = analyze(graph)
            assert analysis.ok, analysis.errors[:3]
            steps = time_steps(graph, text, analysis, args.repeats, with_compile=not args.no_compile)
            if editor is not None and size in args.editor_sizes:
                steps["editor open"] = editor.open(path)
            for step, took in steps.items():
                per_node.setdefault((shape, step), {})[size] = took / size * 1e6
                print(f"{shape:<9} {size:>6} {len(graph.edges):>6}  {step:<12} {took:>8.3f} {took / size * 1e6:>8.1f}")
            if size >= 20000:
                verdict = "within" if steps["validate"] < VALIDATE_BUDGET_S else "OVER"
                print(
                    f"{'':<24}validate {size} nodes: {steps['validate']:.2f} s ({verdict} the {VALIDATE_BUDGET_S:g} s budget)"
                )
    if editor is not None:
        editor.close()
    print("\nper-node time at the largest size / at the smallest (1 = linear):")
    for (shape, step), by_size in per_node.items():
        small, large = min(by_size), max(by_size)
        if small != large:
            print(f"  {shape:<9} {step:<12} {large}/{small}: {by_size[large] / by_size[small]:.2f}")


if __name__ == "__main__":
    main()
