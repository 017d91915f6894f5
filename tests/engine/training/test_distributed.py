"""DDP scale-out: two CPU processes (gloo) reach the accuracy of one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.graph import save_graph
from engine.training.trainer import Trainer

from .conftest import tiny_mlp

ROOT = Path(__file__).resolve().parents[3]


def _graph():
    return tiny_mlp(hidden=32, epochs=6, batch_size=32)


@pytest.mark.slow
def test_two_processes_reach_the_accuracy_of_one(digits, tmp_path):
    path = tmp_path / "mlp.json"
    save_graph(_graph(), path)
    out = tmp_path / "ddp"
    env = {**os.environ, "NETWRIGHT_DDP_TIMEOUT": "60", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "engine",
            "train",
            str(path),
            "--ddp",
            "--no-progress",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    record = json.loads((out / "run.json").read_text())
    assert record["world_size"] == 2 and record["status"] == "completed" and len(rows) == 6
    # Each process took half the steps of a single process (same per-process batch size).
    single = Trainer(_graph(), data=digits).fit().history
    shard = -(-len(digits.train_x) // 2)
    assert rows[-1]["step"] == 6 * -(-shard // 32) and single[-1]["step"] == 6 * -(-len(digits.train_x) // 32)
    assert abs(rows[-1]["val_acc"] - single[-1]["val_acc"]) <= 0.03
    assert rows[-1]["val_acc"] > 0.9


def test_ddp_outside_torchrun_is_refused(tmp_path, capsys, monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / "mlp.json"
    save_graph(_graph(), path)
    assert main(["train", str(path), "--ddp", "--no-progress", "--out", str(tmp_path / "out")]) == 2
    assert "--ddp runs under torchrun" in capsys.readouterr().err
