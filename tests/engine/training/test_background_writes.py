"""MetricsWriter's file writes run beside training: in order, never lost, failures not hidden."""

from __future__ import annotations

import errno
import threading

import pytest

from engine.training.callbacks import BackgroundWrites


def test_submit_returns_before_a_slow_write_and_drain_waits_for_it(tmp_path):
    release = threading.Event()
    target = tmp_path / "slow.txt"

    def slow_write():
        assert release.wait(10)
        target.write_text("done")

    writes = BackgroundWrites()
    writes.submit(slow_write)
    assert not target.exists()  # the caller (the training loop) did not wait for the disk
    release.set()
    writes.drain()
    assert target.read_text() == "done"


def test_writes_keep_their_order(tmp_path):
    target = tmp_path / "log.txt"
    writes = BackgroundWrites()
    for i in range(50):
        writes.submit(lambda i=i: target.open("a").write(f"{i}\n"))
    writes.drain()
    assert target.read_text().split() == [str(i) for i in range(50)]


def test_a_failed_write_is_raised_by_drain_and_later_writes_are_dropped(tmp_path):
    def disk_full():
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "metrics.jsonl"))

    writes = BackgroundWrites()
    writes.submit(disk_full)
    with pytest.raises(OSError) as error:
        writes.drain()
    assert error.value.errno == errno.ENOSPC


def test_a_failed_write_stops_the_next_submit(tmp_path):
    failed = threading.Event()

    def disk_full():
        failed.set()
        raise OSError(errno.ENOSPC, "No space left on device")

    writes = BackgroundWrites()
    writes.submit(disk_full)
    assert failed.wait(10)
    writes._pending[0].exception(timeout=10)  # the failure is recorded before the next epoch's write
    with pytest.raises(OSError):
        writes.submit(lambda: None)
    writes.drain()
