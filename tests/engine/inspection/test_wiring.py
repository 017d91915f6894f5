"""The editor's training process and `train` both record the inspection, as the run's settings say."""

from __future__ import annotations

from engine.graph.fileformat import graph_to_document
from engine.inspection import InspectionStore
from engine.inspection.store import FOLDER
from engine.runs.worker import run_job
from engine.training.control import TrainingControl
from tests.engine.inspection.test_recorder import make_small_mlp


class ListQueue:
    def __init__(self):
        self.batches = []

    def put(self, batch):
        self.batches.append(batch)


def test_the_editors_training_process_records_and_respects_inspect_off(tmp_path):
    graph = make_small_mlp(8)
    graph.training.update({"epochs": 2, "inspect_every": 1})
    job = {"graph": graph_to_document(graph), "settings": {"device": "cpu"}, "run_dir": str(tmp_path / "run")}
    run_job({**job, "insights": False}, ListQueue(), TrainingControl())
    store = InspectionStore(tmp_path / "run")
    assert store.epochs() == [0, 1, 2] and store.nodes() == ["fc1", "relu1", "fc2"]
    job = {**job, "run_dir": str(tmp_path / "off"), "settings": {"device": "cpu", "inspect": False}}
    run_job({**job, "insights": False}, ListQueue(), TrainingControl())
    assert (tmp_path / "off" / "run.json").is_file() and not (tmp_path / "off" / FOLDER).exists()
