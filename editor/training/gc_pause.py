"""Garbage collection while a run is live: only what was made during the run is scanned.

The editor collects garbage from a GUI-thread timer (editor/gui_gc.py). A full collection
scans every tracked object, ~390,000 once the window, pyqtgraph, NodeGraphQt and the engine
are loaded: measured 0.36 s for a generation-1 pass and more for a full one on a busy 2-core
machine, which froze the live plots mid-run (the 0.3-0.7 s worst cases of the live-training
bench). `gc.freeze()` moves everything alive when the run starts into a permanent generation
that collections skip; `gc.unfreeze()` hands it back when the run ends, so nothing is kept
that would otherwise be freed, only collected a little later.
"""

from __future__ import annotations

import gc

_frozen = False


def hold_old_objects() -> None:
    """A run starts: collections skip the objects that exist now (idempotent)."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


def release_old_objects() -> None:
    """The run has ended: every object is collectable again (idempotent)."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False
        from editor.gui_gc import resettle_soon

        resettle_soon()  # in the app, what outlived the run is frozen again once settled


def holding() -> bool:
    return _frozen
