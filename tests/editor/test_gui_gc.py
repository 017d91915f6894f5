"""The GUI-thread garbage collector: young generations on its timer, a full pass only once the heap grew."""

from __future__ import annotations

import gc

from editor import gui_gc


def test_a_full_collection_waits_until_the_heap_has_grown_by_a_quarter(qapp, monkeypatch):
    passes: list[int] = []
    blocks = [1_000_000]
    monkeypatch.setattr(gui_gc.sys, "getallocatedblocks", lambda: blocks[0])
    collector = gui_gc.GuiThreadCollector(interval_s=3600)
    try:
        collector.timer.stop()
        threshold = collector.threshold
        monkeypatch.setattr(gc, "get_count", lambda: (threshold[0] + 1, threshold[1] + 1, threshold[2] + 1))
        monkeypatch.setattr(gc, "collect", lambda generation=2: passes.append(generation) or 0)
        blocks[0] = 1_200_000  # 20 % more than after the last full pass: young generations only
        collector.check()
        assert passes == [0, 1]
        blocks[0] = 1_260_000  # 26 % more: the full pass too, and the next one is measured from here
        collector.check()
        assert passes == [0, 1, 0, 1, 2]
        assert collector.blocks_after_full == 1_260_000
        passes.clear()
        monkeypatch.setattr(gc, "get_count", lambda: (threshold[0], 50, 50))  # generation 0 not full: nothing
        collector.check()
        assert passes == []
    finally:
        monkeypatch.undo()
        gc.enable()
