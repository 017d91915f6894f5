"""One zoom step on the 500-node graph with the canvas's level of detail on and off, alternated in one window.

    QT_QPA_PLATFORM=offscreen python bench/bench_canvas_lod.py [--rounds 7] [--steps 6]

"Off" is the code before the level of detail skipped ports, port texts, edge labels and arrows
when zoomed out, and drew the overview's title at any size (a few pixels high with the whole graph in view): NodeGraphQt's own proxy check on every node paint (it maps the node's corners to
the screen), every port and edge child painted (their Python `boundingRect` and `paint` called each
frame). Both are measured in the same process and window, in rotated order (on, off, off, on, ...),
so a busy machine slows both alike. GUI-thread CPU per step (zoom in or out, viewport repainted),
medians; the ratio on/off is printed per round and as the median over rounds.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_canvas import Timed, _paint, _settle, build_window  # noqa: E402
from bench_shape_inference import residual_cnn  # noqa: E402


def set_lod(on: bool, window) -> None:
    """Switch the level of detail (this tree's code) on, or back to NodeGraphQt's behaviour."""
    from NodeGraphQt.qgraphics.node_base import NodeItem
    from NodeGraphQt.qgraphics.pipe import PipeItem

    from editor.canvas.node_item import NetwrightNodeItem
    from editor.canvas.pipes import ShapePipeItem

    for cls, name, theirs in (
        (NetwrightNodeItem, "auto_switch_mode", NodeItem.auto_switch_mode),
        (NetwrightNodeItem, "_show_overview", lambda self, overview: setattr(self, "_overview", overview)),
        (ShapePipeItem, "paint", PipeItem.paint),
    ):
        saved = f"_lod_{name}"
        if not hasattr(cls, saved):
            setattr(cls, saved, cls.__dict__[name])
        setattr(cls, name, getattr(cls, saved) if on else theirs)
    NetwrightNodeItem.MIN_TITLE_POINTS = 3.5 if on else 0.0  # off: the overview's title drawn at any size
    for view in window.canvas.node_views().values():  # start each mode from the state it would be in
        view._overview = False
        for port in (*view.inputs, *view.outputs):
            port.setOpacity(1.0)
    for pipe in window.canvas.viewer.all_pipes():
        pipe._overview = False
        for child in pipe.childItems():
            child.setOpacity(1.0)


def main(argv: list[str] | None = None) -> int:
    from engine.graph import save_graph

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=6, help="zoom steps per mode and round")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-lod-"))
    path = folder / "residual_cnn_500.json"
    save_graph(residual_cnn(), path)
    app, window = build_window(folder)
    assert window.files.load_path(path, remember=False)
    window.live.wait(120)
    _settle(app)
    window.canvas.fit()
    _settle(app)
    print(f"fitted scale {window.canvas.viewer.transform().m11():.3f}")
    directions = itertools.cycle([0.1, -0.1])

    def zoom() -> None:
        window._zoom(next(directions))
        _paint(window)

    medians: dict[bool, list[float]] = {True: [], False: []}
    for round_number in range(args.rounds):
        for on in (True, False) if round_number % 2 == 0 else (False, True):
            set_lod(on, window)
            zoom()  # the first frame of a mode pays its switch; not timed
            zoom()
            timed = Timed()
            for _ in range(args.steps):
                timed.run(zoom)
            medians[on].append(statistics.median(timed.cpu_ms))
        print(
            f"round {round_number + 1}: on {medians[True][-1]:.1f} ms, off {medians[False][-1]:.1f} ms, "
            f"ratio {medians[True][-1] / medians[False][-1]:.2f}"
        )
    on, off = statistics.median(medians[True]), statistics.median(medians[False])
    ratios = [a / b for a, b in zip(medians[True], medians[False], strict=True)]
    print(
        f"one zoom step, whole graph in view: level of detail on {on:.1f} ms, off {off:.1f} ms (medians of "
        f"{args.rounds} rounds); on/off {statistics.median(ratios):.2f} (median of per-round ratios); "
        f"ratio to the 16 ms budget {on / 16:.2f}"
    )
    set_lod(True, window)
    window.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
