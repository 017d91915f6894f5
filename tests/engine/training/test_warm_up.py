"""The editor's training child loads what a first job needs before the job arrives."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from engine.graph.fileformat import graph_to_document
from engine.runs.worker import run_job
from engine.training import TrainingControl

from .conftest import tiny_mlp

ROOT = Path(__file__).resolve().parents[3]
FIRST_JOB_NEEDS = ["sklearn.datasets", "sklearn.model_selection", "torch._dynamo", "engine.compiler", "safetensors"]


def test_warm_up_loads_what_the_first_job_would_wait_for():
    script = (
        "import sys\n"
        "from engine.runs.worker import warm_up\n"
        f"needed = {FIRST_JOB_NEEDS!r}\n"
        "before = [m for m in needed if m in sys.modules]\n"
        "warm_up()\n"
        "print(before, [m for m in needed if m not in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[] []"  # none loaded by importing the worker, all after warm_up


class Events:
    def __init__(self):
        self.batches = []

    def put(self, batch):
        self.batches.append(batch)


def test_a_job_reports_when_its_first_batch_trained(tmp_path):
    events = Events()
    sent = time.time()
    run_job(
        {"graph": graph_to_document(tiny_mlp(epochs=1)), "settings": {"device": "cpu"}, "run_dir": str(tmp_path / "r")},
        events,
        TrainingControl(),
    )
    finished = next(data for batch in events.batches for kind, data in batch if kind == "finished")
    assert sent <= finished["job_received_at"] <= finished["first_batch_at"] <= time.time()
