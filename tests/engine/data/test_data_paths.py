"""One rule for a dataset path, whoever reads it: relative to the graph file's folder, never the cwd."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import analyze
from engine.cli import main
from engine.data import load_dataset
from engine.data.paths import resolve_data_path
from engine.graph import Graph, load_graph, save_graph
from engine.graph.fileformat import graph_to_document
from engine.runs.worker import run_job
from engine.training import TrainingControl


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


def csv_graph(path_text: str) -> Graph:
    graph = Graph(name="csv")
    graph.add_node("data.Dataset", {"dataset": "csv", "path": path_text, "val_split": 0.25}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 2}, node_id="fc")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (("data", "x", "fc", "in"), ("fc", "out", "loss", "prediction"), ("data", "y", "loss", "target")):
        graph.connect(*edge)
    graph.connect("loss", "loss", "adam", "losses")
    graph.training.update(epochs=1, batch_size=8, device="cpu")
    return graph


def write_table(path: Path, features: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    rows = [",".join([*(f"f{i}" for i in range(features)), "label"])]
    rows += [",".join([*(f"{v:.4f}" for v in rng.normal(size=features)), str(k % 2)]) for k in range(40)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """project/graph.json reading "data.csv" beside it; the cwd holds another data.csv (5 features)."""
    folder = tmp_path / "project"
    write_table(folder / "data.csv", features=3, seed=0)
    save_graph(csv_graph("data.csv"), folder / "graph.json")
    elsewhere = tmp_path / "elsewhere"
    write_table(elsewhere / "data.csv", features=5, seed=1)
    monkeypatch.chdir(elsewhere)
    return folder


def test_resolver_joins_relative_paths_to_the_graph_folder_and_expands_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_path("data.csv", tmp_path / "g") == tmp_path / "g" / "data.csv"
    assert resolve_data_path("  sub/data.csv ", tmp_path) == tmp_path / "sub" / "data.csv"
    assert resolve_data_path("/abs/data.csv", tmp_path) == Path("/abs/data.csv")
    assert resolve_data_path("~/data.csv", tmp_path / "g") == tmp_path / "home" / "data.csv"
    assert resolve_data_path("data.csv", None) == Path("data.csv")


def test_cli_train_from_another_directory_reads_the_file_beside_the_graph(project, tmp_path):
    out = tmp_path / "run"
    assert main(["train", str(project / "graph.json"), "--out", str(out), "--no-progress"]) == 0
    record = json.loads((out / "run.json").read_text())
    beside = load_dataset(load_graph(project / "graph.json").resolved_params("data"), seed=0)
    in_cwd = load_dataset({"dataset": "csv", "path": "data.csv", "val_split": 0.25}, seed=0)
    assert record["data_fingerprint"] == beside.fingerprint != in_cwd.fingerprint
    assert beside.train_x.shape[1] == 3 and in_cwd.train_x.shape[1] == 5


def test_validate_summary_and_train_agree_when_only_the_cwd_has_the_file(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    save_graph(csv_graph("data.csv"), folder / "graph.json")  # no data.csv beside it
    write_table(tmp_path / "data.csv", features=3, seed=0)
    monkeypatch.chdir(tmp_path)
    graph_path = str(folder / "graph.json")
    assert main(["validate", graph_path]) != 0
    assert main(["train", graph_path, "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and str(folder / "data.csv") in err


def test_home_relative_paths_read_the_same_file_in_validation_and_training(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_table(tmp_path / "home" / "data.csv", features=3, seed=0)
    folder = tmp_path / "project"
    folder.mkdir()
    save_graph(csv_graph("~/data.csv"), folder / "graph.json")
    graph = load_graph(folder / "graph.json")
    assert not analyze(graph).errors
    assert graph.resolved_params("data")["path"] == str(tmp_path / "home" / "data.csv")


class ListQueue:
    def __init__(self):
        self.batches: list = []

    def put(self, batch):
        self.batches.append(batch)

    def finished(self) -> dict:
        return next(data for batch in self.batches for kind, data in batch if kind == "finished")


@pytest.mark.parametrize("by", ["base_dir", "graph_file"])
def test_the_editor_worker_reads_beside_the_graph_not_in_its_cwd(project, tmp_path, by):
    graph = load_graph(project / "graph.json")
    where = {"base_dir": str(project)} if by == "base_dir" else {"graph_file": str(project / "graph.json")}
    job = {"graph": graph_to_document(graph), "settings": {"device": "cpu"}, "run_dir": str(tmp_path / "r"), **where}
    queue = ListQueue()
    run_job(job, queue, TrainingControl())
    assert queue.finished()["status"] == "completed", queue.finished()["error"]
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    assert record["data_fingerprint"] == load_dataset(graph.resolved_params("data"), seed=0).fingerprint
