"""Reading the user's data files off the GUI thread, with a time limit.

Describing a Dataset node reads its file (the CSV's target column, the npz headers, the
image folder listing). On the GUI thread a slow network drive, a huge file or a path that
never ends would freeze the window, so while an editor window is open the GUI thread never
reads data: the engine hands each uncached read to `DataReads` (`engine.data.read_cache`),
the node shows "reading ... in the background" and the analysis runs again once the read
has ended. A read still going after `timeout_s` becomes a problem on the node (the read goes
on; if it ever ends, its result replaces the problem).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Hashable
from contextvars import Token
from functools import partial

from PySide6 import QtCore

from engine.data.read_cache import PendingRead, defer_reads_here, stop_deferring

READ_TIMEOUT_S = 15.0


class DataReads(QtCore.QObject):
    """Runs deferred data reads on daemon threads (a hung read must not keep the app from quitting)."""

    finished = QtCore.Signal()  # a read ended or was given up on: analyse again
    _ended = QtCore.Signal(object)  # from a reading thread: the read's key

    def __init__(self, timeout_s: float = READ_TIMEOUT_S, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.timeout_s = timeout_s
        self.started = 0  # reads started so far: callers compare it to tell whether a pass deferred any
        self._threads: dict[Hashable, threading.Thread] = {}
        self._ended.connect(self._on_ended)

    def start(self, read: PendingRead) -> None:
        """Read on another thread unless the same read is already going (called by the engine, GUI thread)."""
        if read.key in self._threads:
            return
        thread = threading.Thread(target=self._run, args=(read,), name="netwright-data-read", daemon=True)
        self._threads[read.key] = thread
        self.started += 1
        thread.start()
        QtCore.QTimer.singleShot(int(self.timeout_s * 1000), self, partial(self._give_up, read))

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads.values())

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` s for the reads going now; True when none is left."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not self.busy()

    def _run(self, read: PendingRead) -> None:
        read.run()
        with contextlib.suppress(RuntimeError):  # the window closed while this read went on
            self._ended.emit(read.key)

    def _on_ended(self, key: Hashable) -> None:
        self._threads.pop(key, None)
        self.finished.emit()

    def _give_up(self, read: PendingRead) -> None:
        thread = self._threads.get(read.key)
        if thread is None or not thread.is_alive():
            return
        read.give_up(
            f"reading '{read.label}' has not finished after {self.timeout_s:g} s (a slow or unresponsive drive, "
            "or a file that never ends?); it goes on in the background"
        )
        self.finished.emit()


_shared: DataReads | None = None
_token: Token | None = None
_users = 0


def acquire() -> DataReads:
    """The process's DataReads, deferring the GUI thread's data reads to it while any window uses it."""
    global _shared, _token, _users
    if _shared is None:
        _shared = DataReads(parent=QtCore.QCoreApplication.instance())
        _token = defer_reads_here(_shared.start)
    _users += 1
    return _shared


def release(join_s: float = 2.0) -> None:
    """One user fewer; the last one stops deferring and waits briefly for reads still going."""
    global _shared, _token, _users
    _users = max(0, _users - 1)
    if _users or _shared is None:
        return
    if _token is not None:
        stop_deferring(_token)
    _shared.wait(join_s)
    _shared.deleteLater()
    _shared, _token = None, None
