"""Output folders: a read-only, full or wrong `--out` is one line; nothing is left half-written and
the last good checkpoint stays whole; two runs never share a folder.

Full and read-only disks are small tmpfs mounts (tests/disks.py): everything runs as root.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.graph import save_graph
from engine.runs.store import RUN_LOCK
from engine.training import Callback, MetricsWriter
from engine.training.checkpoint import STATE, WEIGHTS, load_checkpoint
from engine.training.trainer import Trainer
from tests.disks import fill, listing, make_read_only, small_disk

from .conftest import tiny_mlp, without_timing

ROOT = Path(__file__).resolve().parents[3]


def train(*args: str) -> int:
    return main(["train", *args, "--no-progress"])


def error_line(capsys) -> str:
    """The one line a refused or failed run prints on stderr (there must be exactly one)."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def read_metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def without_lock(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.endswith(RUN_LOCK)}


@pytest.fixture
def graph_file(tmp_path) -> Path:
    path = tmp_path / "graph.json"
    save_graph(tiny_mlp(epochs=3, early_stopping=True, patience=5), path)
    return path


def test_a_read_only_out_is_one_line_and_exit_2(graph_file, tmp_path, capsys):
    with small_disk(tmp_path / "disk", 64) as disk:
        make_read_only(disk)
        assert train(str(graph_file), "--out", str(disk / "run")) == 2
        assert error_line(capsys) == f"error: cannot create --out {disk / 'run'}: Read-only file system"
        assert train(str(graph_file), "--out", str(disk)) == 2
        assert error_line(capsys) == f"error: cannot write to --out {disk}: Read-only file system"


def test_an_out_that_is_a_file_is_one_line_and_leaves_the_file_alone(graph_file, tmp_path, capsys):
    taken = tmp_path / "results.txt"
    taken.write_text("keep me")
    assert train(str(graph_file), "--out", str(taken)) == 2
    assert error_line(capsys) == f"error: --out {taken} is a file, not a folder; choose a folder"
    assert train(str(graph_file), "--out", str(taken / "run")) == 2
    assert "is a file, where a folder is needed" in error_line(capsys)
    assert taken.read_text() == "keep me"


def test_a_disk_that_fills_before_a_resume_changes_nothing_and_the_run_continues_once_freed(
    graph_file, tmp_path, capsys
):
    assert train(str(graph_file), "--epochs", "3", "--out", str(tmp_path / "whole")) == 0
    with small_disk(tmp_path / "disk", 512) as disk:
        out = disk / "run"
        assert train(str(graph_file), "--epochs", "1", "--out", str(out)) == 0
        before = without_lock(listing(disk))
        assert {"run/metrics.jsonl", "run/run.json", "run/checkpoints/last/state.pt"} <= before.keys()
        filler = fill(disk)
        capsys.readouterr()

        assert train(str(graph_file), "--epochs", "3", "--resume", "--out", str(out)) == 1
        line = error_line(capsys)
        assert line.startswith(f"error: cannot write {out}") and "No space left on device" in line
        assert line.endswith("the last checkpoint is whole: free some space, then continue with --resume")
        assert without_lock(listing(disk)) == before  # not one byte changed, no temporary file left

        filler.unlink()
        assert train(str(graph_file), "--epochs", "3", "--resume", "--out", str(out)) == 0
        assert without_timing(read_metrics(out)) == without_timing(read_metrics(tmp_path / "whole"))
        assert json.loads((out / "run.json").read_text())["status"] == "completed"


class FillTheDiskAfterEpoch(Callback):
    """Fills the disk once epoch `epoch` has written its checkpoint and metrics; remembers the files then."""

    def __init__(self, disk: Path, epoch: int, writer: MetricsWriter):
        self.disk, self.epoch, self.files, self.writer = disk, epoch, None, writer

    def on_epoch_end(self, trainer, epoch, metrics):
        if epoch == self.epoch:
            self.writer.wait_until_written()  # the metrics are written beside training
            self.files = listing(self.disk)
            fill(self.disk)


def test_a_disk_that_fills_mid_run_keeps_the_last_good_checkpoint_whole(digits, tmp_path):
    with small_disk(tmp_path / "disk", 512) as disk:
        writer = MetricsWriter(disk / "metrics.jsonl", disk / "batches.jsonl")
        filler = FillTheDiskAfterEpoch(disk, 2, writer)
        callbacks = [writer, filler]
        trainer = Trainer(tiny_mlp(epochs=4), data=digits, callbacks=callbacks, checkpoint_dir=disk / "checkpoints")
        with pytest.raises(OSError, match="No space left on device"):
            trainer.fit()
        assert listing(disk) == filler.files  # epoch 3 changed nothing: no half checkpoint, no .tmp, no 0-byte file
        assert set(filler.files) == {
            "metrics.jsonl",
            "batches.jsonl",
            f"checkpoints/last/{WEIGHTS}",
            f"checkpoints/last/{STATE}",
            f"checkpoints/best/{WEIGHTS}",
            f"checkpoints/best/{STATE}",
        }
        assert len(read_metrics(disk)) == 2
        assert len((disk / "batches.jsonl").read_text().splitlines()) == 2 * trainer.batches_per_epoch
        state = load_checkpoint(disk / "checkpoints" / "last", Trainer(tiny_mlp(epochs=4), data=digits).modules)
        assert state["epoch"] == 2


def test_run_files_get_normal_permissions(graph_file, tmp_path):
    old = os.umask(0o022)
    try:
        assert train(str(graph_file), "--epochs", "1", "--out", str(tmp_path / "run")) == 0
    finally:
        os.umask(old)
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {"metrics.jsonl", "run.json", "weights.safetensors", STATE} <= {p.name for p in files}
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_second_run_into_a_busy_folder_refuses_and_a_killed_run_resumes(tmp_path, capsys):
    graph_file = tmp_path / "graph.json"
    save_graph(tiny_mlp(epochs=500), graph_file)
    out = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "engine", "train", str(graph_file), "--out", str(out), "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        metrics = out / "metrics.jsonl"
        _wait_for(lambda: metrics.is_file() and metrics.read_text().count("\n") >= 2, 120, "two epochs")

        assert train(str(graph_file), "--epochs", "3", "--out", str(out)) == 2
        assert error_line(capsys) == (
            f"error: --out {out} is in use by another training run (process {first.pid}); "
            "wait for it to finish or choose another folder"
        )
        assert first.poll() is None  # the first run goes on
    finally:
        first.kill()  # SIGKILL: the lock must go with the process
        first.wait(timeout=30)
        first.stderr.close()
    # the checkpoint says how far the killed run got; metrics.jsonl, written at most every 0.5 s, may lag
    # behind it and is rewritten from the checkpoint's history on resume
    done = torch.load(out / "checkpoints" / "last" / STATE, weights_only=True)["epoch"]
    assert len(read_metrics(out)) <= done
    assert train(str(graph_file), "--epochs", str(done + 1), "--resume", "--out", str(out)) == 0
    assert [row["epoch"] for row in read_metrics(out)] == list(range(1, done + 2))
    assert torch.load(out / "checkpoints" / "last" / STATE, weights_only=True)["epoch"] == done + 1
