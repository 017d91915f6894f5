"""`python -m engine train`: outputs, resume, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file

from engine.cli import main
from engine.graph import Graph, dumps_graph, save_graph

from .conftest import tiny_mlp, without_timing
from .test_optimizers import gan_like

ROOT = Path(__file__).resolve().parents[3]


def graph_file(tmp_path: Path, graph: Graph, name: str = "graph.json") -> Path:
    path = tmp_path / name
    save_graph(graph, path)
    return path


def train(*args: str) -> int:
    return main(["train", *args, "--no-progress"])


def read_metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_train_in_a_real_process_writes_metrics_weights_and_run_record(tmp_path):
    path = graph_file(tmp_path, tiny_mlp(epochs=5))
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "train", str(path), "--epochs", "2", "--seed", "3", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 2/2" in done.stderr and "100%" in done.stderr  # the progress bar
    rows = read_metrics(out)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all({"epoch", "train_loss", "val_loss", "train_acc", "val_acc"} <= r.keys() for r in rows)
    weights = load_file(str(out / "weights.safetensors"))
    assert set(weights) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "completed" and record["seed"] == 3 and record["epochs_completed"] == 2
    assert record["settings"]["epochs"] == 2 and record["settings"]["seed"] == 3
    assert record["graph"] == json.loads(dumps_graph(tiny_mlp(epochs=5)))
    assert len(record["data_fingerprint"]) == 64
    assert {"torch", "numpy", "python", "safetensors", "scikit-learn"} <= record["versions"].keys()
    assert record["final_metrics"] == rows[-1]


def test_resume_continues_the_curves(tmp_path, capsys):
    path = graph_file(tmp_path, tiny_mlp(epochs=3))
    assert train(str(path), "--epochs", "1", "--out", str(tmp_path / "a")) == 0
    assert train(str(path), "--epochs", "3", "--resume", "--out", str(tmp_path / "a")) == 0
    assert train(str(path), "--out", str(tmp_path / "b")) == 0
    assert without_timing(read_metrics(tmp_path / "a")) == without_timing(read_metrics(tmp_path / "b"))
    assert json.loads((tmp_path / "a" / "run.json").read_text())["resumed"] is True


def test_several_losses_get_one_key_each(tmp_path):
    path = graph_file(tmp_path, gan_like(epochs=1))
    assert train(str(path), "--out", str(tmp_path / "gan")) == 0
    row = read_metrics(tmp_path / "gan")[0]
    assert {"train_loss_loss_d", "train_loss_loss_g", "val_loss_loss_d", "val_loss_loss_g"} <= row.keys()


def _broken(graph: Graph) -> Graph:
    graph.nodes["fc2"].params["out_features"] = 7  # 7 scores for 10 classes
    return graph


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (tiny_mlp, ["--device", "cuda"], "device cuda was asked for, but CUDA is not available"),
        (lambda: tiny_mlp(mixed_precision=True), [], "mixed precision needs a CUDA device"),
        (lambda: _broken(tiny_mlp()), [], "Cross-Entropy `loss` gets 7 scores per sample"),
        (tiny_mlp, ["--resume"], "no checkpoint to resume from"),
        (tiny_mlp, ["--epochs", "0"], "epochs"),
    ],
    ids=["no-cuda", "mixed-precision-on-cpu", "bad-graph", "nothing-to-resume", "bad-epochs"],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, make, extra, message):
    path = graph_file(tmp_path, make())
    assert train(str(path), "--out", str(tmp_path / "out"), *extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_missing_file_and_bad_data_exit_2(tmp_path, capsys):
    assert train(str(tmp_path / "nope.json"), "--out", str(tmp_path / "out")) == 2
    assert "nope.json" in capsys.readouterr().err
    graph = tiny_mlp()
    graph.nodes["data"].params.update(dataset="npz", path=str(tmp_path / "missing.npz"))
    assert train(str(graph_file(tmp_path, graph)), "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip()
    assert "missing.npz" in err and "\n" not in err


def test_divergence_exits_1_and_records_it(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    x[:, 0] = 1e30  # squared by MSE, this overflows float32
    np.savez(tmp_path / "big.npz", x=x, y=rng.standard_normal((64, 1)).astype(np.float32))
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "npz", "path": str(tmp_path / "big.npz")}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="fc")
    graph.add_node("losses.MSE", node_id="mse")
    graph.add_node("optimizers.SGD", node_id="sgd")
    for edge in (
        ("data", "x", "fc", "in"),
        ("fc", "out", "mse", "prediction"),
        ("data", "y", "mse", "target"),
        ("mse", "loss", "sgd", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update(device="cpu", epochs=2)
    assert train(str(graph_file(tmp_path, graph)), "--out", str(tmp_path / "out")) == 1
    err = capsys.readouterr().err.strip()
    assert "`mse` became NaN or infinite" in err
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["status"] == "diverged" and "`mse`" in record["error"]
