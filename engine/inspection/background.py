"""One background thread that runs jobs in order: the recorder's summaries and file writes.

The training thread hands a job over and goes on; `busy` says whether one is still pending or
running (the recorder skips an optional recording rather than let jobs pile up), `wait` blocks
until all are done and `close` ends the thread. A job handles its own errors: one that raises
anyway is kept in `error` and the jobs after it still run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from engine.training.threads import yield_to_training


class BackgroundJobs:
    def __init__(self, name: str = "netwright-inspection"):
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            self._pending += 1
        self._jobs.put(job)

    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def wait(self) -> None:
        """Until every job handed over so far has run."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)

    def close(self) -> None:
        """Run what is queued, then end the thread (idempotent)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        yield_to_training()  # summaries and files can wait; the training thread cannot
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - kept for the owner; the thread must go on
                self.error = exc
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
