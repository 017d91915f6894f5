"""The editor reads a relative dataset path where the command line would: beside the graph file."""

from __future__ import annotations

from engine.graph import load_graph, save_graph
from tests.editor.test_data_reads import csv_graph_file, data_problems, write_csv


def test_save_as_elsewhere_moves_where_relative_data_paths_point_and_undo_keeps_it(make_window, qtbot, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_csv(first / "data.csv")  # only beside the first file
    window = make_window()
    assert window.files.load_path(csv_graph_file(first, "data.csv"))
    qtbot.waitUntil(lambda: window.live.analysis.order and not data_problems(window), timeout=5000)
    window.document.edit("rename", lambda g: setattr(g, "name", "renamed"))
    save_graph(window.document.graph, second / "graph.json")
    window.document.mark_saved(second / "graph.json")
    assert window.document.graph.base_dir == second.resolve()
    qtbot.waitUntil(lambda: any("file not found" in m for m in data_problems(window)), timeout=5000)
    window.document.undo_stack.undo()  # the snapshot from before the save still reads beside the new file
    assert window.document.graph.base_dir == second.resolve()
    reopened = load_graph(second / "graph.json")
    assert reopened.resolved_params("data") == window.document.graph.resolved_params("data")
