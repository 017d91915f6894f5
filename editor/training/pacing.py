"""Adaptive timer intervals: the live UI backs off when the machine is busy.

The training child and the editor share the machine's cores. On a quiet machine the UI
repaints at its normal rate; when its own ticks arrive late (the process waited for a core)
or its work per tick takes more than its share of the interval, the interval grows, so the
UI repaints less often and the child keeps its core; on a machine whose load exceeds its cores,
the same happens while the editor process takes more than `cpu_share` of a core. When the ticks are on time again and
cheap, the interval shrinks back. The owner may also say the training child is starved (its
throughput fell well below the best of this run, see `ThroughputWatch`): that backs off too, as a
late tick does. Qt-free: the owner measures and applies the interval.
"""

from __future__ import annotations

import os
import time

GROW = 1.5
SHRINK = 1.2


class Pacer:
    """Chooses a timer's next interval from how late its last tick came and how long it worked.

    `budget` is the fraction of the interval the tick's work may take (CPU the UI takes from
    training); a tick later than `late_fraction` of the interval means the machine is busy.
    """

    def __init__(
        self,
        base_ms: int,
        max_ms: int,
        budget: float = 0.15,
        late_fraction: float = 0.5,
        cpu_share: float = 0.1,
        machine_busy=None,
    ):
        self.base_ms = base_ms
        self.max_ms = max_ms
        self.budget = budget
        self.late_fraction = late_fraction
        # On a busy machine the whole UI process (painting included) should take at most this
        # much of a core, since every bit of it is taken from training.
        self.cpu_share = cpu_share
        self.machine_busy = machine_busy or machine_is_busy
        self._cpu = self._wall = None
        self.share = 0.0  # the process's CPU seconds per second since the previous tick
        self.interval_ms = base_ms
        self._expected: float | None = None  # when the current tick should have fired (perf_counter)
        self._late = 0.0
        self.starved = False  # set by the owner: the training child runs well below its best speed

    @property
    def backed_off(self) -> bool:
        return self.interval_ms > self.base_ms

    def reset(self) -> None:
        self.interval_ms = self.base_ms
        self._expected = None
        self._late = 0.0
        self._cpu = self._wall = None
        self.share = 0.0
        self.starved = False

    def backed_off_by(self, factor: float) -> bool:
        """Whether the interval has grown to at least `factor` times the base (clearly coarser updates)."""
        return self.interval_ms >= factor * self.base_ms

    def tick_started(self, now: float | None = None) -> float:
        """Call first thing in the tick; returns how late it fired, in ms (0 for the first)."""
        now = time.perf_counter() if now is None else now
        late = 0.0 if self._expected is None else max(0.0, (now - self._expected) * 1000)
        self._late = late
        cpu = time.process_time()
        if self._wall is not None and now > self._wall:
            self.share = (cpu - self._cpu) / (now - self._wall)
        self._cpu, self._wall = cpu, now
        return late

    def tick_done(self, work_ms: float, now: float | None = None) -> int:
        """Record the tick's work; returns the interval (ms) the timer should use next."""
        now = time.perf_counter() if now is None else now
        interval = self.interval_ms
        hungry = self.share > self.cpu_share and self.machine_busy()
        busy = self._late > self.late_fraction * interval or work_ms > self.budget * interval or hungry or self.starved
        quiet = (
            self._late < 0.1 * interval and work_ms < 0.5 * self.budget * interval and not hungry and not self.starved
        )
        if busy:
            interval = min(self.max_ms, round(interval * GROW))
        elif quiet:
            interval = max(self.base_ms, round(interval / SHRINK))
        self.interval_ms = interval
        self._expected = now + interval / 1000
        return interval


class ThroughputWatch:
    """Whether the training child is starved: its smoothed samples/s below `fraction` of the best
    smoothed rate of this run (after `warmup` reports, so the first slow batches set no bar)."""

    def __init__(self, fraction: float = 0.85, warmup: int = 5, smoothing: float = 0.7):
        self.fraction = fraction
        self.warmup = warmup
        self.smoothing = smoothing
        self.reset()

    def reset(self) -> None:
        self.rate = 0.0
        self.best = 0.0
        self.reports = 0

    def report(self, samples_per_s: float) -> bool:
        """Record one reported rate; returns whether the child is starved now."""
        if not samples_per_s > 0:
            return self.starved
        self.reports += 1
        self.rate = (
            samples_per_s if self.reports == 1 else self.smoothing * self.rate + (1 - self.smoothing) * samples_per_s
        )
        if self.reports > self.warmup:
            self.best = max(self.best, self.rate)
        return self.starved

    @property
    def starved(self) -> bool:
        return self.best > 0 and self.rate < self.fraction * self.best


_busy_checked = 0.0
_busy = False


def machine_is_busy() -> bool:
    """Whether runnable processes outnumber the cores (1-minute load average), checked at most once a second."""
    global _busy_checked, _busy
    now = time.monotonic()
    if now - _busy_checked >= 1.0:
        _busy_checked = now
        try:
            _busy = os.getloadavg()[0] > (os.cpu_count() or 1) - 0.5
        except OSError:  # no load average on this platform: lateness alone decides
            _busy = False
    return _busy
