"""Python's garbage collector runs on the GUI thread only.

The editor does slow work on worker threads (parameter counts, exports, imports). If the
automatic collector fires on such a thread while cycles hold Qt wrappers, their destructors
run off the GUI thread and Qt can hang or abort (seen here: an import on a worker thread
stuck "Garbage-collecting"). pyqtgraph's GarbageCollector turns automatic collection off
and collects from a GUI-thread timer instead.

That collector also runs a full pass after every ten generation-1 passes: with Qt, pyqtgraph,
NodeGraphQt and torch loaded it scans ~330,000 objects, 0.3-0.4 s measured here, a stall about
once a minute of editing. In the app (`enable_settling`, called by editor.app.run) the objects
alive a few seconds after start, after a file opens and after a run ends are collected once and
then frozen (`gc.freeze`): later passes skip them (0.1 ms instead of 0.3 s). Objects freed by
their reference count are freed as ever; only cycles among frozen objects wait for the next
unfreeze (the next file opened or run ended). Tests keep Python's usual timing: freezing there
would move the collection of one test's windows into another test's teardown.
"""

from __future__ import annotations

import gc

_collector = None
_settle_timer = None  # set by enable_settling (the app only)
SETTLE_DELAY_MS = 3000  # after start, a file opened or a run ended: when the editor is usually idle


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


def enable_settling() -> None:
    """Settle the objects alive a few seconds from now, and again after `resettle_soon` (the app only)."""
    global _settle_timer
    if _settle_timer is None:
        from PySide6 import QtCore

        _settle_timer = QtCore.QTimer()
        _settle_timer.setSingleShot(True)
        _settle_timer.timeout.connect(settle_long_lived_objects)
    _settle_timer.start(SETTLE_DELAY_MS)


def resettle_soon() -> None:
    """What was frozen may have become garbage (a file replaced, a run ended): collectable again now,
    frozen again once settled. Nothing when settling is off."""
    if _settle_timer is None:
        return
    from editor.training.gc_pause import holding

    if not holding():  # a live run holds its own freeze and releases it when it ends
        gc.unfreeze()
    _settle_timer.start(SETTLE_DELAY_MS)


def settle_long_lived_objects() -> None:
    """One full collection, then every object alive is kept out of later collections."""
    from editor.training.gc_pause import holding

    if holding():  # a run is live: its end resettles
        return
    gc.collect()
    gc.freeze()
