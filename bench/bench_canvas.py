"""How fast the editor opens, edits, zooms and lays out the 500-node residual CNN.

    QT_QPA_PLATFORM=offscreen python bench/bench_canvas.py [--repeats 7] [--profile open|edit|zoom|layout]

The graph is `residual_cnn()` from `bench/bench_shape_inference.py` (500 nodes, 570 edges),
saved to a file without positions, as code writes it; opening it therefore lays it out. In one
1600x1000 main window (offscreen), after one untimed warm-up open:

- **open**: `load_path` of the file until the canvas is drawn, every node laid out, the
  analysis shown and the view fitted (the queued fit run, the viewport painted). Timed as the
  GUI thread's CPU time (`time.thread_time`), with wall time beside it; the parameter counts
  run on a worker thread and are not part of it. Budget 1.0 s.
- **edit**: one parameter edit through the properties panel (a Conv2d's `out_channels`,
  16 <-> 32 so every edit changes shapes downstream), re-validated (`LiveAnalysis.run_now`, the
  debounce skipped), shown on canvas and panels and the viewport painted. Budget 100 ms median.
- **zoom**: one Zoom In or Zoom Out step (the View menu's action) with the whole graph in view,
  the viewport painted. Budget 16 ms median.
- **layout**: the engine's auto-layout of the 500 nodes (`graph_ops.lay_out`, positions and edge
  routes, with the canvas's measured node sizes, on a copy of the graph; the copy is timed too); and the editor's Auto-layout command whole (layout, the
  undoable edit, the canvas moved, fitted and painted) beside it. Budget 0.5 s for the first.

Medians of `--repeats` runs; each figure is also printed as a ratio of its budget.
`--profile NAME` runs that step under cProfile instead and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_shape_inference import residual_cnn  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

BUDGETS_MS = {"open": 1000.0, "edit": 100.0, "zoom": 16.0, "layout": 500.0}
EDITED_NODE = "b30_conv1"  # a Conv2d in the middle of the chain: its shapes change everything downstream


def _settle(app: QtWidgets.QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def _paint(window) -> None:
    """Paint the canvas now, as the next frame would."""
    window.canvas.viewer.viewport().repaint()


class Timed:
    """GUI-thread CPU time and wall time of repeated calls."""

    def __init__(self) -> None:
        self.cpu_ms: list[float] = []
        self.wall_ms: list[float] = []

    def run(self, fn: Callable[[], object]) -> None:
        cpu, wall = time.thread_time(), time.perf_counter()
        fn()
        self.cpu_ms.append((time.thread_time() - cpu) * 1000)
        self.wall_ms.append((time.perf_counter() - wall) * 1000)

    def line(self, name: str, what: str) -> str:
        cpu, wall = statistics.median(self.cpu_ms), statistics.median(self.wall_ms)
        budget = BUDGETS_MS[name]
        verdict = "within" if cpu <= budget else "OVER"
        return (
            f"{what}: {cpu:.1f} ms CPU (wall {wall:.1f} ms), median of {len(self.cpu_ms)}; "
            f"ratio to the {budget:g} ms budget {cpu / budget:.2f} ({verdict})"
        )


def build_window(folder: Path):
    from editor.app import create_application
    from editor.mainwindow import MainWindow

    app = create_application()
    settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_path=folder / "recovery.json", analysis_delay_ms=0)
    window.resize(1600, 1000)
    window.show()
    _settle(app)
    return app, window


def main(argv: list[str] | None = None) -> int:
    from engine.graph import save_graph

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--profile", choices=sorted(BUDGETS_MS))
    parser.add_argument(
        "--steps", default="open,edit,zoom,layout", help="which steps to time, comma-separated (default: all)"
    )
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-canvas-"))
    path = folder / "residual_cnn_500.json"
    graph = residual_cnn()
    save_graph(graph, path)
    app, window = build_window(folder)
    from editor import graph_ops

    def open_graph() -> None:
        assert window.files.load_path(path, remember=False)
        app.processEvents()  # the queued fit
        _paint(window)

    def empty() -> None:
        window.document.load(type(graph)(name="empty"), None)
        _settle(app)

    open_graph()  # warm-up: imports, caches, the parameter counts' torch
    window.live.wait(120)
    empty()

    values = itertools.cycle([32, 16])

    def edit() -> None:
        window.properties.submit("out_channels", next(values))
        window.live.run_now()
        _paint(window)

    steps = itertools.cycle([0.1, -0.1])

    def zoom() -> None:
        window._zoom(next(steps))
        _paint(window)

    def layout() -> None:  # what the editor's Auto-layout runs, on a copy (the graph itself is the document's)
        graph_ops.lay_out(window.document.graph.copy(), window.canvas.node_heights(), window.canvas.node_widths())

    def layout_command() -> None:
        window.canvas.auto_layout()
        window.live.run_now()
        _paint(window)

    if args.profile:
        if args.profile != "open":
            open_graph()
            window.canvas.select([EDITED_NODE])
            window.canvas.fit()
        step = {"open": open_graph, "edit": edit, "zoom": zoom, "layout": layout}[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeats):
            step()
            if args.profile == "open":
                profile.disable()
                empty()
                profile.enable()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return _close(window)

    steps_wanted = set(args.steps.split(","))
    opened = Timed()
    for _ in range(args.repeats if "open" in steps_wanted else 0):
        opened.run(open_graph)
        empty()
    open_graph()
    shown = window.document.graph
    print(f"graph: {len(shown.nodes)} nodes, {len(shown.edges)} edges, {len(window.live.analysis.specs)} shapes")
    if "open" in steps_wanted:
        print(opened.line("open", "open from file to drawn, laid out and fitted"))

    window.canvas.select([EDITED_NODE])
    _settle(app)
    edited = Timed()
    for _ in range(args.repeats * 3 if "edit" in steps_wanted else 0):
        edited.run(edit)
    if "edit" in steps_wanted:
        print(edited.line("edit", "one parameter edit, re-validated and repainted"))

    window.canvas.fit()
    _settle(app)
    zoomed = Timed()
    for _ in range(args.repeats * 3 if "zoom" in steps_wanted else 0):
        zoomed.run(zoom)
    if "zoom" in steps_wanted:
        print(zoomed.line("zoom", "one zoom step, whole graph in view, repainted"))
    if "layout" not in steps_wanted:
        return _close(window)

    laid_out = Timed()
    for _ in range(args.repeats):
        laid_out.run(layout)
    print(laid_out.line("layout", "auto-layout of 500 nodes (engine)"))
    command = Timed()
    for _ in range(args.repeats):
        command.run(layout_command)
    print(command.line("layout", "Auto-layout command in the editor (layout, edit, canvas moved, fitted, painted)"))
    return _close(window)


def _close(window) -> int:
    window.live.wait(120)
    window.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
