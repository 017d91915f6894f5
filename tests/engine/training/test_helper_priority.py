"""A run's helper threads (metrics files, the inspection recorder's summaries) step back from its
training thread: on Linux they run at HELPER_NICE, and the thread that trains keeps its priority."""

from __future__ import annotations

import os
import sys
import threading

from engine.inspection.background import BackgroundJobs
from engine.training.callbacks import BackgroundWrites
from engine.training.threads import HELPER_NICE


def own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def expected(before: int) -> int:
    return max(before, HELPER_NICE) if sys.platform.startswith("linux") else before


def test_the_metrics_writer_and_the_recorder_thread_run_below_the_training_thread():
    before = own_nice()
    seen: list[int] = []
    writes = BackgroundWrites()
    writes.submit(lambda: seen.append(own_nice()))
    writes.drain()
    jobs = BackgroundJobs()
    jobs.submit(lambda: seen.append(own_nice()))
    jobs.wait()
    jobs.close()
    assert seen == [expected(before)] * 2
    assert own_nice() == before  # the calling (training) thread is untouched
