"""The Inspector's cost to the GUI thread during a live run: event-loop lateness with it open or closed.

    python bench/bench_inspection.py --ui [--ui-epochs 12] [--repeats 3]
    python bench/bench_inspector_ui.py [--epochs 12] [--repeats 3] [--example cnn_digits] [--node conv1]

The full main window (1600 x 1000, offscreen unless QT_QPA_PLATFORM says otherwise) trains the
example live, with its plots and insights, in three variants run back to back in an order rotated
every repeat:

- closed: the Inspector dock behind the Insights tab (it draws nothing);
- open: the Inspector in view on `--node`, following the run's newest recorded epoch: its views are
  read and prepared on the loader's thread (editor/inspector/node_loader.py), the GUI thread
  only shows them;
- open, prepared on the GUI thread: the same, with each picture prepared where it is shown (how
  the Inspector worked before the loader), for comparison.

A 16 ms precise QTimer records how late each tick fires while the run trains (from its first
rows to its end); also the GUI thread's own time per drawn epoch (the panel's request, whose
first in a run also reads the probe and is left out, and the showing of its picture: in the last
variant the preparation too) and how many pictures were shown. Targets (issue 15 and issue 5): UI
lateness p99 < 16 ms with the Inspector open.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICK_MS = 16
VARIANTS = ("closed", "open", "open, prepared on the GUI thread")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def live_run(app, example: Path, node: str, epochs: int, variant: str, folder: Path) -> dict:
    """One live run in the main window; returns the ticks' lateness (ms) and the Inspector's GUI-thread costs."""
    from PySide6 import QtCore

    from editor.mainwindow import MainWindow

    settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_path=folder / "recovery.json")
    window.resize(1600, 1000)
    window.show()
    window.files.load_path(example, remember=False)
    window.document.edit("epochs", lambda g: g.training.__setitem__("epochs", epochs))
    panel = window.inspector.panel
    gui_ms: dict[str, list[float]] = {"request": [], "show": []}  # the GUI thread's time for each
    shown = [0]
    request, prepared = panel.show_node, panel._prepared

    def timed_request() -> None:
        started = time.perf_counter()
        request()
        gui_ms["request"].append((time.perf_counter() - started) * 1000)

    def timed_prepared(result) -> None:
        started = time.perf_counter()
        prepared(result)
        shown[0] += result.number == panel.requested
        gui_ms["show"].append((time.perf_counter() - started) * 1000)

    panel.show_node = timed_request
    panel.slider.epoch_changed.disconnect()
    panel.slider.epoch_changed.connect(lambda _e: panel.show_node())
    panel.loader.ready.disconnect()
    panel.loader.ready.connect(timed_prepared)
    if variant == "open, prepared on the GUI thread":
        worker = panel.loader.worker
        panel.loader.request = lambda r: timed_prepared(worker._prepare(r))
    if variant == "closed":
        window.insights_dock.raise_()
    else:
        window.inspector.dock.show()
        window.inspector.dock.raise_()
    panel.set_node(node)
    window.training.prewarm()
    while not window.training.session.ready:
        app.processEvents()
        time.sleep(0.01)
    finished: dict = {}
    window.training.run_finished.connect(finished.update)
    ticks: list[float] = []
    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QtCore.QEventLoop()
    window.training.run_finished.connect(lambda _data: loop.quit())

    def watch(kind: str, _data) -> None:
        if kind == "rows" and not timer.isActive() and not ticks:
            timer.start()
        elif kind == "finished":
            timer.stop()

    window.training.session.message.connect(watch)
    window.training.start()
    loop.exec()
    timer.stop()
    visible = not panel.paused
    window.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return {
        "lateness": [max(0.0, (b - a) * 1000 - TICK_MS) for a, b in zip(ticks, ticks[1:], strict=False)],
        "gui_ms": gui_ms,
        "shown": shown[0],
        "visible": visible,
        "fit_s": finished.get("fit_seconds", float("nan")),
    }


def run(epochs: int, repeats: int, example: str = "cnn_digits", node: str = "conv1") -> None:
    from editor.app import create_application

    app = create_application()
    path = ROOT / "resources" / "examples" / f"{example}.json"
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-inspector-"))
    late: dict[str, list[float]] = {v: [] for v in VARIANTS}
    gui: dict[str, dict[str, list[float]]] = {v: {"request": [], "show": []} for v in VARIANTS}
    for repeat in range(repeats):
        order = VARIANTS[repeat % 3 :] + VARIANTS[: repeat % 3]
        for variant in order:
            got = live_run(app, path, node, epochs, variant, folder)
            late[variant] += got["lateness"]
            for part in ("request", "show"):
                gui[variant][part] += got["gui_ms"][part][1:]  # the first request of a run reads the probe
            lateness = got["lateness"]
            print(
                f"repeat {repeat + 1}, {variant}: {len(lateness)} ticks, lateness p50 {percentile(lateness, 0.5):.1f} "
                f"p99 {percentile(lateness, 0.99):.1f} max {max(lateness, default=float('nan')):.1f} ms; "
                f"pictures shown {got['shown']} (panel in view: {got['visible']}); fit {got['fit_s']:.1f} s",
                flush=True,
            )
    print()
    print(
        f"{example}, Inspector on {node}, {epochs} epochs, {repeats} repeats in rotated order; "
        f"{os.cpu_count()} cores, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    for variant in VARIANTS:
        values = late[variant]
        cost = "".join(
            f"; GUI thread per {part} median {statistics.median(costs):.1f} max {max(costs):.1f} ms"
            for part, costs in gui[variant].items()
            if costs
        )
        print(
            f"  {variant:34s} lateness p50 {percentile(values, 0.5):5.1f}  p99 {percentile(values, 0.99):5.1f}  "
            f"max {max(values, default=float('nan')):5.1f} ms{cost}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--example", default="cnn_digits")
    parser.add_argument("--node", default="conv1")
    args = parser.parse_args()
    run(args.epochs, args.repeats, args.example, args.node)


if __name__ == "__main__":
    main()
