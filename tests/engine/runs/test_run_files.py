"""The editor's training job on a disk that cannot take its files: one message, the process lives on;
run.json is written whole, with normal permissions, and a run folder can be locked once."""

from __future__ import annotations

import json
import os
import stat

import pytest

from engine.fileio import OutputError
from engine.graph.fileformat import graph_to_document
from engine.runs.record import write_record
from engine.runs.store import RUN_LOCK, lock_run_folder
from engine.runs.worker import run_job
from engine.training import TrainingControl
from tests.disks import fill, make_read_only, small_disk
from tests.engine.runs.test_runs import ListQueue
from tests.engine.training.conftest import tiny_mlp


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


@pytest.mark.parametrize("disk_state", ["read-only", "full"])
def test_a_job_whose_folder_cannot_take_files_says_so_in_one_line(disk_state, tmp_path):
    with small_disk(tmp_path / "disk", 64) as disk:
        (disk / "run").mkdir()
        if disk_state == "read-only":
            make_read_only(disk)
        else:
            fill(disk)
        queue = ListQueue()
        run_job(
            {"graph": graph_to_document(tiny_mlp(epochs=1)), "run_dir": str(disk / "run")}, queue, TrainingControl()
        )
        finished = queue.messages("finished")[-1]
        error = finished["error"]
        assert finished["status"] == "failed" and error["kind"] == "disk"
        why = "Read-only file system" if disk_state == "read-only" else "No space left on device"
        assert error["message"] == f"cannot write {disk / 'run' / 'run.json'}: {why}"
        assert "bug" not in error["suggestion"]
        assert not [p for p in (disk / "run").iterdir()]  # no temporary file left behind


def test_run_records_are_whole_files_with_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_record(tmp_path, {"status": "completed", "loss": float("nan")})
    finally:
        os.umask(old)
    assert json.loads(path.read_text())["status"] == "completed"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_a_run_folder_is_locked_once(tmp_path):
    lock = lock_run_folder(tmp_path / "run")
    try:
        with pytest.raises(
            OutputError, match=rf"run folder .*run is in use by another training run \(process {os.getpid()}\)"
        ):
            lock_run_folder(tmp_path / "run")
    finally:
        lock.release()
    lock_run_folder(tmp_path / "run").release()
    assert (tmp_path / "run" / RUN_LOCK).is_file()
