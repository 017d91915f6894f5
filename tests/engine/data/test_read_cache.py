"""Deferred reads: a thread that must not read (the editor's GUI thread) hands reads to another."""

from __future__ import annotations

import threading

import pytest

from engine.data import DataError, describe
from engine.data.read_cache import DataPending, defer_reads_here, deferred_reads, stop_deferring


def write_table(path):
    path.write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    return {"dataset": "csv", "path": str(path)}


def test_an_uncached_read_is_handed_over_not_done_and_then_served_from_the_cache(tmp_path):
    params = write_table(tmp_path / "d.csv")
    with deferred_reads() as pending, pytest.raises(DataPending, match="reading 'd.csv' in the background"):
        describe(params)
    assert [read.label for read in pending] == ["d.csv"]
    worker = threading.Thread(target=pending[0].run)
    worker.start()
    worker.join()
    with deferred_reads() as again:
        assert describe(params).num_samples == 10  # cached now: no read, nothing pending
    assert again == []


def test_a_read_given_up_on_shows_the_message_until_it_ends(tmp_path):
    params = write_table(tmp_path / "slow.csv")
    with deferred_reads() as pending, pytest.raises(DataPending):
        describe(params)
    pending[0].give_up("reading 'slow.csv' has not finished")
    with deferred_reads(), pytest.raises(DataError, match="has not finished"):
        describe(params)
    pending[0].run()  # it ended after all: the result replaces the message
    assert describe(params).num_samples == 10


def test_deferring_is_per_thread(tmp_path):
    params = write_table(tmp_path / "t.csv")
    token = defer_reads_here(lambda read: None)
    try:
        results = []
        worker = threading.Thread(target=lambda: results.append(describe(params).num_samples))
        worker.start()
        worker.join()
        assert results == [10]  # another thread reads as usual
    finally:
        stop_deferring(token)


def test_errors_and_os_errors_are_remembered_for_the_deferring_thread(tmp_path):
    missing_target = tmp_path / "m.csv"
    missing_target.write_text("a,label\n1,NA\n2,1\n")
    params = {"dataset": "csv", "path": str(missing_target)}
    with deferred_reads() as pending, pytest.raises(DataPending):
        describe(params)
    pending[0].run()
    with deferred_reads() as again, pytest.raises(DataError, match="missing value on line 2"):
        describe(params)
    assert again == []
