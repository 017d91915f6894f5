"""engine.fileio: atomic files and folders on full and read-only disks, permissions, locks."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.fileio import (
    FileLock,
    LockBusy,
    OutputError,
    append_whole,
    atomic_write_bytes,
    atomic_write_files,
    atomic_write_folder,
    committed_folder,
    prepare_output_folder,
    write_failure,
)
from engine.graph import Graph, save_graph
from tests.disks import fill, listing, make_read_only, small_disk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_get_normal_permissions_and_replaced_files_keep_theirs(tmp_path, umask_022):
    atomic_write_bytes(tmp_path / "a.bin", b"1")
    save_graph(Graph(name="g"), tmp_path / "g.json")
    atomic_write_folder(tmp_path / "ckpt", {"w": b"1", "s": b"2"})
    assert mode(tmp_path / "a.bin") == mode(tmp_path / "g.json") == mode(tmp_path / "ckpt" / "w") == 0o644
    assert mode(tmp_path / "ckpt") == 0o755

    os.chmod(tmp_path / "a.bin", 0o640)  # the user chose this mode: a rewrite keeps it
    atomic_write_bytes(tmp_path / "a.bin", b"2")
    assert mode(tmp_path / "a.bin") == 0o640

    os.umask(0o077)
    atomic_write_bytes(tmp_path / "private.bin", b"1")
    assert mode(tmp_path / "private.bin") == 0o600


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    with small_disk(tmp_path / "disk", 64) as disk:
        target = disk / "model.bin"
        atomic_write_bytes(target, b"old")
        fill(disk)
        with pytest.raises(OSError) as caught:
            atomic_write_bytes(target, b"x" * 200_000)
        assert caught.value.errno == errno.ENOSPC
        assert caught.value.filename == str(target)  # the file asked for, not a temporary one
        assert write_failure(caught.value) == f"cannot write {target}: No space left on device"
        assert listing(disk) == {"model.bin": b"old"}


def test_files_written_together_are_replaced_together(tmp_path):
    atomic_write_files({tmp_path / "m.py": b"old source", tmp_path / "m.safetensors": b"old weights"})
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(OSError):
        atomic_write_files({tmp_path / "m.safetensors": b"new weights", tmp_path / "blocker" / "m.py": b"new"})
    assert (tmp_path / "m.safetensors").read_bytes() == b"old weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "m.py", "m.safetensors"]


def test_a_folder_is_replaced_all_or_nothing(tmp_path):
    with small_disk(tmp_path / "disk", 64) as disk:
        folder = disk / "last"
        atomic_write_folder(folder, {"weights": b"w1", "state": b"s1"})
        fill(disk)
        with pytest.raises(OSError) as caught:
            atomic_write_folder(folder, {"weights": b"w" * 100_000, "state": b"s2"})
        assert caught.value.errno == errno.ENOSPC and caught.value.filename.startswith(str(folder))
        assert listing(disk) == {"last/state": b"s1", "last/weights": b"w1"}  # nothing staged is left


def test_a_crash_between_the_renames_leaves_the_previous_folder_findable(tmp_path):
    folder = tmp_path / "last"
    atomic_write_folder(folder, {"state": b"s1"})
    folder.rename(tmp_path / ".last.old")  # where a crash after the first rename leaves it
    assert committed_folder(folder) == tmp_path / ".last.old"
    atomic_write_folder(folder, {"state": b"s2"})
    assert committed_folder(folder) == folder and (folder / "state").read_bytes() == b"s2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_append_whole_appends_everything_or_nothing(tmp_path):
    with small_disk(tmp_path / "disk", 64) as disk:
        log = disk / "batches.jsonl"
        append_whole(log, b'{"step": 1}\n')
        fill(disk)
        with pytest.raises(OSError, match="No space left"):
            append_whole(log, b'{"step": 2}\n' * 20_000)
        assert log.read_bytes() == b'{"step": 1}\n'


def test_output_folders_that_cannot_take_files_are_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match=r"--out .*afile is a file, not a folder"):
        prepare_output_folder(tmp_path / "afile", "--out")
    with pytest.raises(OutputError, match=r"afile is a file, where a folder is needed"):
        prepare_output_folder(tmp_path / "afile" / "run", "--out")
    with small_disk(tmp_path / "disk", 64) as disk:
        make_read_only(disk)
        with pytest.raises(OutputError, match=r"cannot (write to|create) --out .*: Read-only file system"):
            prepare_output_folder(disk, "--out")
        with pytest.raises(OutputError, match="cannot create --out .*: Read-only file system"):
            prepare_output_folder(disk / "run", "--out")
    assert prepare_output_folder(tmp_path / "new" / "run").is_dir()
    assert not list((tmp_path / "new" / "run").iterdir())  # the write test leaves nothing


def test_a_lock_is_exclusive_even_within_a_process_and_released_with_it(tmp_path):
    path = tmp_path / "folder.lock"
    with FileLock(path):
        with pytest.raises(LockBusy) as caught:
            FileLock(path).acquire()
        assert caught.value.owner == str(os.getpid())
        assert not FileLock(path).is_free()
    assert FileLock(path).is_free()

    # a process killed while holding it does not keep it
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time\nfrom engine.fileio import FileLock\n"
            "lock = FileLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not FileLock(path).is_free()
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdout.close()
    assert FileLock(path).is_free()
