"""Adaptive timer intervals: the live UI backs off when the machine is busy.

The training child and the editor share the machine's cores. On a quiet machine the UI
repaints at its normal rate; when its own ticks arrive late (the process waited for a core)
or its work per tick takes more than its share of the interval, the interval grows, so the
UI repaints less often and the child keeps its core. When the ticks are on time again and
cheap, the interval shrinks back. Qt-free: the owner measures and applies the interval.
"""

from __future__ import annotations

import time

GROW = 1.5
SHRINK = 1.2


class Pacer:
    """Chooses a timer's next interval from how late its last tick came and how long it worked.

    `budget` is the fraction of the interval the tick's work may take (CPU the UI takes from
    training); a tick later than `late_fraction` of the interval means the machine is busy.
    """

    def __init__(self, base_ms: int, max_ms: int, budget: float = 0.15, late_fraction: float = 0.5):
        self.base_ms = base_ms
        self.max_ms = max_ms
        self.budget = budget
        self.late_fraction = late_fraction
        self.interval_ms = base_ms
        self._expected: float | None = None  # when the current tick should have fired (perf_counter)
        self._late = 0.0

    @property
    def backed_off(self) -> bool:
        return self.interval_ms > self.base_ms

    def reset(self) -> None:
        self.interval_ms = self.base_ms
        self._expected = None
        self._late = 0.0

    def tick_started(self, now: float | None = None) -> float:
        """Call first thing in the tick; returns how late it fired, in ms (0 for the first)."""
        now = time.perf_counter() if now is None else now
        late = 0.0 if self._expected is None else max(0.0, (now - self._expected) * 1000)
        self._late = late
        return late

    def tick_done(self, work_ms: float, now: float | None = None) -> int:
        """Record the tick's work; returns the interval (ms) the timer should use next."""
        now = time.perf_counter() if now is None else now
        interval = self.interval_ms
        busy = self._late > self.late_fraction * interval or work_ms > self.budget * interval
        quiet = self._late < 0.1 * interval and work_ms < 0.5 * self.budget * interval
        if busy:
            interval = min(self.max_ms, round(interval * GROW))
        elif quiet:
            interval = max(self.base_ms, round(interval / SHRINK))
        self.interval_ms = interval
        self._expected = now + interval / 1000
        return interval
