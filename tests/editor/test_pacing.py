"""The live UI's timers back off on a busy machine and come back when it is quiet (pure logic)."""

from __future__ import annotations

import time

from editor.training.pacing import Pacer, ThroughputWatch


def run(pacer: Pacer, ticks: int, late_ms: float, work_ms: float, burn_cpu_ms: float = 0.0) -> int:
    """Feed `ticks` ticks that each fire `late_ms` late and work `work_ms`; return the last interval.

    `burn_cpu_ms` of real CPU is spent before each tick (what painting between ticks costs)."""
    now = 0.0 if pacer._expected is None else pacer._expected
    for _ in range(ticks):
        now += late_ms / 1000
        end = time.process_time() + burn_cpu_ms / 1000
        while time.process_time() < end:
            pass
        pacer.tick_started(now)
        now += work_ms / 1000
        pacer.tick_done(work_ms, now)
        now = pacer._expected
    return pacer.interval_ms


def test_on_time_cheap_ticks_keep_the_base_rate():
    pacer = Pacer(25, 250, machine_busy=lambda: False)
    assert run(pacer, 50, late_ms=1, work_ms=1) == 25 and not pacer.backed_off


def test_late_ticks_back_off_up_to_the_limit_then_recover():
    pacer = Pacer(25, 250, machine_busy=lambda: False)
    assert run(pacer, 3, late_ms=40, work_ms=1) > 25 and pacer.backed_off
    assert run(pacer, 30, late_ms=400, work_ms=1) == 250
    assert run(pacer, 60, late_ms=0, work_ms=1) == 25 and not pacer.backed_off


def test_expensive_work_backs_off_even_when_on_time():
    pacer = Pacer(20, 200, budget=0.15, machine_busy=lambda: False)
    assert run(pacer, 5, late_ms=0, work_ms=10) > 20
    pacer.reset()
    assert pacer.interval_ms == 20 and not pacer.backed_off


def test_a_hungry_ui_backs_off_only_when_the_machine_is_busy():
    """The editor taking ~40 % of a core between ticks: fine on a quiet machine, too much on a busy one."""
    quiet = Pacer(25, 250, machine_busy=lambda: False)
    assert run(quiet, 8, late_ms=0, work_ms=1, burn_cpu_ms=10) == 25
    busy = Pacer(25, 250, machine_busy=lambda: True)
    assert run(busy, 8, late_ms=0, work_ms=1, burn_cpu_ms=10) > 25 and busy.share > 0.1


def test_a_starved_child_backs_the_ui_off_until_it_trains_at_speed_again():
    pacer = Pacer(25, 250, machine_busy=lambda: False)
    pacer.starved = True  # on-time, cheap ticks: only the child's speed says the UI should give way
    assert run(pacer, 6, late_ms=0, work_ms=1) >= 100 and pacer.backed_off_by(4)
    pacer.starved = False
    assert run(pacer, 60, late_ms=0, work_ms=1) == 25 and not pacer.backed_off_by(4)


def test_the_throughput_watch_compares_with_the_best_speed_of_this_run():
    watch = ThroughputWatch(fraction=0.85, warmup=3, smoothing=0.5)
    assert not any(watch.report(rate) for rate in (100.0, 1000.0, 1000.0))  # warming up: no bar yet
    assert not any(watch.report(1000.0) for _ in range(5))
    assert not watch.report(0.0)  # a report without a rate changes nothing
    assert [watch.report(400.0) for _ in range(3)][-1]  # well under the best: starved
    assert not [watch.report(1000.0) for _ in range(6)][-1]  # back at speed
    watch.reset()
    assert not watch.starved and watch.best == 0.0
