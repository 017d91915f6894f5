"""Python's garbage collector runs on the GUI thread only.

The editor does slow work on worker threads (parameter counts, exports, imports). If the
automatic collector fires on such a thread while cycles hold Qt wrappers, their destructors
run off the GUI thread and Qt can hang or abort (seen here: an import on a worker thread
stuck "Garbage-collecting"). pyqtgraph's GarbageCollector turns automatic collection off
and collects from a GUI-thread timer instead.
"""

from __future__ import annotations

import gc

_collector = None


def collect_garbage_on_gui_thread() -> None:
    """Idempotent; call once a QApplication exists."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)


def restore_automatic_garbage_collection() -> None:
    """Back to Python's own collector (for test sessions that go on without a GUI)."""
    global _collector
    if _collector is not None:
        _collector.timer.stop()
        _collector = None
        gc.enable()
