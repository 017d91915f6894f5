"""Saving a graph into another folder keeps its relative data paths pointing at the same files."""

from pathlib import Path

from engine.graph import Graph
from engine.graph.rebase import rebase_data_paths


def _graph_reading(path_text: str, base_dir: Path | None) -> Graph:
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "csv", "path": path_text}, node_id="data")
    graph.base_dir = base_dir
    return graph


def test_a_relative_path_names_the_same_file_from_the_new_folder(tmp_path):
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)
    graph = _graph_reading("data/rows.csv", tmp_path / "project")
    before = graph.resolved_params("data")["path"]

    moved = rebase_data_paths(graph, tmp_path / "elsewhere" / "deeper")

    assert graph.nodes["data"].params["path"] == "../../project/data/rows.csv"
    graph.base_dir = tmp_path / "elsewhere" / "deeper"  # as saving there does
    assert Path(graph.resolved_params("data")["path"]).resolve() == Path(before).resolve()
    assert [(m.node_id, m.param, m.before, m.after) for m in moved] == [
        ("data", "path", "data/rows.csv", "../../project/data/rows.csv")
    ]


def test_absolute_home_and_empty_paths_and_the_same_folder_are_left_alone(tmp_path):
    for text in (str(tmp_path / "rows.csv"), "~/rows.csv", ""):
        graph = _graph_reading(text, tmp_path / "a")
        assert rebase_data_paths(graph, tmp_path / "b") == []
        assert graph.nodes["data"].params["path"] == text
    graph = _graph_reading("rows.csv", tmp_path / "a")
    assert rebase_data_paths(graph, tmp_path / "a" / ".") == []
    assert graph.nodes["data"].params["path"] == "rows.csv"


def test_a_graph_without_a_file_reads_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    graph = _graph_reading("rows.csv", None)
    rebase_data_paths(graph, tmp_path / "saved")
    assert graph.nodes["data"].params["path"] == "../rows.csv"
