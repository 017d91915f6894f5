"""The editor never reads data files on its GUI thread: a FIFO, a hung or slow read leave the
window responsive and end as a problem on the Dataset node."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6 import QtCore

from engine.data import csv_file
from engine.graph import Graph, save_graph


def csv_graph_file(folder: Path, data_path: str) -> Path:
    graph = Graph(name="csv")
    graph.add_node("data.Dataset", {"dataset": "csv", "path": data_path}, node_id="data", ui={"x": 0, "y": 0})
    graph.add_node("layers.Linear", {"out_features": 2}, node_id="fc", ui={"x": 260, "y": 0})
    graph.connect("data", "x", "fc", "in")
    path = folder / "graph.json"
    save_graph(graph, path)
    return path


def write_csv(path: Path) -> Path:
    path.write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20)))
    return path


def data_problems(window) -> list[str]:
    return [p.message for p in window.live.analysis.problems if p.node_id == "data"]


class Ticker:
    """Counts timer ticks on the GUI thread: it only ticks while the event loop runs."""

    def __init__(self):
        self.ticks = 0
        self.timer = QtCore.QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        self.ticks += 1

    def stop(self):
        self.timer.stop()


@pytest.mark.timeout(60)
def test_opening_a_graph_whose_dataset_is_a_fifo_shows_a_problem_and_never_blocks(make_window, qtbot, tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    window = make_window()
    ticker = Ticker()
    assert window.files.load_path(csv_graph_file(tmp_path, "pipe.csv"))
    qtbot.waitUntil(lambda: any("named pipe" in m for m in data_problems(window)), timeout=5000)
    start = ticker.ticks
    qtbot.waitUntil(lambda: ticker.ticks >= start + 3, timeout=2000)  # the event loop keeps running
    ticker.stop()
    assert window.canvas.canvas_node("data").view.severity == "error"


@pytest.mark.timeout(60)
def test_a_read_that_hangs_runs_off_the_gui_thread_and_times_out_as_a_problem(
    make_window, qtbot, tmp_path, monkeypatch
):
    write_csv(tmp_path / "data.csv")
    release = threading.Event()
    readers: list[threading.Thread] = []
    parse = csv_file.read_table

    def hanging_parse(*args, **kwargs):
        readers.append(threading.current_thread())
        release.wait(30)
        return parse(*args, **kwargs)

    monkeypatch.setattr(csv_file, "read_table", hanging_parse)
    window = make_window()
    window.live.data_reads.timeout_s = 0.5
    ticker = Ticker()
    try:
        assert window.files.load_path(csv_graph_file(tmp_path, "data.csv"))
        qtbot.waitUntil(lambda: any("in the background" in m for m in data_problems(window)), timeout=5000)
        assert readers and readers[0] is not threading.main_thread()
        start = ticker.ticks
        qtbot.waitUntil(lambda: ticker.ticks >= start + 3, timeout=2000)  # responsive while the read hangs
        qtbot.waitUntil(lambda: any("has not finished after 0.5 s" in m for m in data_problems(window)), timeout=5000)
    finally:
        release.set()
        ticker.stop()
    # The read ends after all: its result replaces the problem.
    qtbot.waitUntil(lambda: not data_problems(window), timeout=5000)
    assert window.live.analysis.specs[("data", "x")].dims == (2,)


def test_an_ordinary_file_is_read_off_the_gui_thread_without_a_reading_flash(make_window, qtbot, tmp_path, monkeypatch):
    write_csv(tmp_path / "data.csv")
    readers: list[threading.Thread] = []
    parse = csv_file.read_table

    def recording_parse(*args, **kwargs):
        readers.append(threading.current_thread())
        return parse(*args, **kwargs)

    monkeypatch.setattr(csv_file, "read_table", recording_parse)
    window = make_window()
    shown: list[list[str]] = []
    window.live.updated.connect(lambda analysis: shown.append(data_problems(window)))
    assert window.files.load_path(csv_graph_file(tmp_path, "data.csv"))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert readers and all(t is not threading.main_thread() for t in readers)
    assert shown[0] == []  # the first analysis shown already has the data's shapes
