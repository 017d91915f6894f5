"""Runs beside a graph file, their differences, the per-epoch insights and one job of the child
process (run in this process: the queue is a list, the control a thread one)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from engine.graph import load_graph
from engine.graph.fileformat import graph_to_document
from engine.runs import RunStore, diff_runs
from engine.runs.store import best_metric
from engine.runs.worker import run_job
from engine.training import TrainingControl
from engine.training.insights import Insights, image_shape
from engine.training.trainer import Trainer
from tests.engine.training.conftest import tiny_mlp, without_timing

EXAMPLES = "resources/examples"


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


class ListQueue:
    def __init__(self):
        self.batches: list[list[tuple[str, object]]] = []

    def put(self, batch):
        self.batches.append(batch)

    def messages(self, kind: str) -> list:
        return [data for batch in self.batches for k, data in batch if k == kind]


def test_store_lives_beside_the_graph_and_lists_newest_first(tmp_path):
    store = RunStore.beside(tmp_path / "net.json")
    assert store.folder == tmp_path / "net.runs" and store.runs() == []
    first = store.new_run(datetime(2025, 1, 1, 12, 0, 0))
    second = store.new_run(datetime(2025, 1, 2, 9, 30, 0))
    (first / "metrics.jsonl").write_text('{"epoch": 1, "val_acc": 0.5}\n{"epoch": 2, "val_acc": 0.8}\n{"ep')
    (first / "run.json").write_text(json.dumps({"status": "completed", "settings": {"epochs": 2}}))
    (tmp_path / "net.runs" / "notes").mkdir()
    runs = store.runs()
    assert [r.folder for r in runs] == [second, first]
    assert runs[1].status == "completed" and runs[1].epochs_completed == 2 and runs[1].epochs == 2
    assert (runs[1].best_key, runs[1].best_value) == ("val_acc", 0.8)
    assert runs[0].status == "failed" and runs[0].weights is None
    store.delete(second.name)
    assert [r.folder for r in store.runs()] == [first]
    assert RunStore.named(tmp_path, "Digits MLP / v2").folder.name == "Digits_MLP_v2.runs"


def test_best_metric_prefers_validation_accuracy_then_loss():
    assert best_metric([{"val_loss": 2.0}, {"val_loss": 1.0}]) == ("val_loss", 1.0)
    assert best_metric([{"train_loss": float("nan")}, {"train_loss": 3.0}]) == ("train_loss", 3.0)
    assert best_metric([]) == (None, None)


def test_diff_lists_settings_params_nodes_and_edges():
    a, b = tiny_mlp(), tiny_mlp(epochs=5)
    b.nodes["adam"].params["lr"] = 0.1
    b.add_node("layers.Dropout", {"p": 0.5}, node_id="drop")
    ra = {"settings": dict(a.training), "graph": graph_to_document(a), "seed": 0}
    rb = {"settings": dict(b.training), "graph": graph_to_document(b), "seed": 1, "init_weights": "w.safetensors"}
    lines = diff_runs(ra, rb).lines()
    assert "epochs: 2 → 5" in lines and "adam.lr: 0.01 → 0.1" in lines
    assert "node drop (layers.Dropout) only in the second run" in lines
    assert "seed: 0 → 1" in lines and "started from: — → w.safetensors" in lines
    assert diff_runs(ra, ra).empty


def test_insights_leave_training_unchanged_and_fill_a_confusion_matrix(digits):
    sent: list[dict] = []
    plain = Trainer(tiny_mlp(), data=digits).fit()
    watched = Trainer(tiny_mlp(), data=digits, callbacks=[Insights(sent.append)]).fit()
    assert without_timing(watched.history) == without_timing(plain.history)
    assert [m["epoch"] for m in sent] == [1, 2]
    matrix = sent[-1]["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == len(digits.val_x) and sent[-1]["confusion"]["labels"][3] == "3"
    accuracy = sum(matrix[i][i] for i in range(10)) / len(digits.val_x)
    assert accuracy == pytest.approx(watched.history[-1]["val_acc"])
    samples = sent[-1]["samples"]
    assert samples["kind"] == "classifier" and samples["images"].shape == (16, 8, 8)
    assert len(samples["true"]) == len(samples["predicted"]) == 16


@pytest.mark.parametrize(
    ("example", "kind", "shape"),
    [
        ("autoencoder_digits", "reconstruction", (8, 8, 8)),
        ("gan_digits", "generated", (16, 8, 8)),
        ("gan_ring", "points", (400, 2)),
    ],
)
def test_sample_outputs_for_autoencoders_and_gans(example, kind, shape):
    graph = load_graph(f"{EXAMPLES}/{example}.json")
    graph.training.update(epochs=1, device="cpu")
    sent: list[dict] = []
    Trainer(graph, callbacks=[Insights(sent.append)]).fit()
    samples = sent[-1]["samples"]
    assert samples["kind"] == kind and "confusion" not in sent[-1]
    assert (samples["points"] if kind == "points" else samples["images"]).shape == shape


def test_image_shape():
    assert image_shape((1, 8, 8), "digits_images") == (8, 8)
    assert image_shape((3, 32, 32), "image_folder") == (32, 32, 3)
    assert image_shape((64,), "digits_flat") == (8, 8)
    assert image_shape((64,), "csv") is None and image_shape((4,), "iris") is None


def test_a_job_writes_the_run_and_streams_batched_events(tmp_path):
    queue, folder = ListQueue(), tmp_path / "g.runs" / "20250101-120000-abcd"
    job = {
        "graph": graph_to_document(tiny_mlp(epochs=2)),
        "settings": {"device": "cpu"},
        "run_dir": str(folder),
        "graph_file": str(tmp_path / "g.json"),
    }
    run_job(job, queue, TrainingControl())
    kinds = [k for batch in queue.batches for k, _ in batch]
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("epoch") == 2
    assert kinds.count("insights") == 2
    rows = [r for batch in queue.messages("rows") for r in batch]
    assert [r["step"] for r in rows] == list(range(1, 47))  # every batch, in order
    assert len(queue.batches) < len(rows)  # batched, not one message per batch
    finished = queue.messages("finished")[0]
    assert finished["status"] == "completed" and finished["error"] is None
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "completed" and record["run_id"] == folder.name and record["epochs_completed"] == 2
    assert (folder / "weights.safetensors").is_file() and len((folder / "metrics.jsonl").read_text().splitlines()) == 2

    # continue from those weights: the first loss is far lower than a fresh start's
    again = ListQueue()
    run_job(
        {
            **job,
            "run_dir": str(tmp_path / "g.runs" / "20250101-120001-abcd"),
            "init_weights": str(folder / "weights.safetensors"),
        },
        again,
        TrainingControl(),
    )
    first_fresh = queue.messages("rows")[0][0]["loss"]
    first_continued = again.messages("rows")[0][0]["loss"]
    assert first_continued < 0.7 * first_fresh


def test_a_diverging_job_reports_the_node_and_a_fix(tmp_path):
    graph = load_graph(f"{EXAMPLES}/regression_diabetes.json")
    graph.nodes["gd"].params["lr"] = 10.0
    graph.training.update(epochs=60, device="cpu")
    queue, folder = ListQueue(), tmp_path / "r"
    run_job({"graph": graph_to_document(graph), "run_dir": str(folder)}, queue, TrainingControl())
    finished = queue.messages("finished")[0]
    error = finished["error"]
    assert finished["status"] == "diverged" and error["kind"] == "diverged"
    assert error["node_id"] in graph.nodes and "learning rate" in error["suggestion"]
    assert not (folder / "weights.safetensors").exists()  # NaN weights are never attached
    assert json.loads((folder / "run.json").read_text())["status"] == "diverged"


def test_a_job_that_cannot_start_says_why(tmp_path):
    queue = ListQueue()
    bad = tmp_path / "missing.safetensors"
    run_job(
        {"graph": graph_to_document(tiny_mlp()), "run_dir": str(tmp_path / "r"), "init_weights": str(bad)},
        queue,
        TrainingControl(),
    )
    error = queue.messages("finished")[0]["error"]
    assert error["kind"] == "setup" and "missing.safetensors" in error["message"]
