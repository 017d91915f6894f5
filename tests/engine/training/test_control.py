"""Pause, resume, stop and learning-rate changes from another thread, and from a parent process."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from engine.training import Callback, TrainingControl
from engine.training.trainer import Trainer

from .conftest import tiny_mlp

REACTION = 0.1  # seconds: pause, resume and stop must take effect this fast


class Timeline(Callback):
    """Timestamps of events and batches, as seen on the training thread."""

    def __init__(self):
        self.batches = 0
        self.rows: list[dict] = []
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.flags = {
            name: threading.Event() for name in ("running", "paused", "resumed", "stopping", "epoch_after_lr")
        }
        self.lr_changed = False

    def on_batch_end(self, trainer, batch):
        self.batches += 1
        self.rows += batch.rows
        if self.batches == 5:
            self.flags["running"].set()

    def on_epoch_end(self, trainer, epoch, metrics):
        if self.lr_changed:
            self.flags["epoch_after_lr"].set()

    def on_event(self, trainer, event):
        self.times[event.kind] = time.perf_counter()
        self.cpu[event.kind] = time.thread_time()
        if event.kind == "lr_changed":
            self.lr_changed = True
        flag = {"paused": "paused", "resumed": "resumed", "stop_requested": "stopping"}.get(event.kind)
        if flag:
            self.flags[flag].set()


def controls():
    return [
        pytest.param(TrainingControl, id="threads"),
        pytest.param(lambda: TrainingControl.for_processes(multiprocessing.get_context("spawn")), id="processes"),
    ]


@pytest.mark.parametrize("make_control", controls())
def test_pause_lr_change_resume_stop_from_another_thread(digits, make_control):
    control = make_control()
    timeline = Timeline()
    trainer = Trainer(tiny_mlp(epochs=10_000), data=digits, callbacks=[timeline], control=control, log_every=1)
    results = []
    thread = threading.Thread(target=lambda: results.append(trainer.fit()), daemon=True)
    thread.start()
    try:
        assert timeline.flags["running"].wait(30)

        asked = time.perf_counter()
        control.pause()
        assert timeline.flags["paused"].wait(5)
        assert timeline.times["paused"] - asked < REACTION
        seen = timeline.batches
        time.sleep(0.3)
        assert timeline.batches == seen, "batches ran while paused"

        control.set_lr(0.0123)
        asked = time.perf_counter()
        control.resume()
        assert timeline.flags["resumed"].wait(5)
        assert timeline.times["resumed"] - asked < REACTION
        # A paused loop blocks on an Event: the training thread used (almost) no CPU meanwhile.
        assert timeline.cpu["resumed"] - timeline.cpu["paused"] < 0.05

        assert timeline.flags["epoch_after_lr"].wait(30)
        asked = time.perf_counter()
        control.stop()
        assert timeline.flags["stopping"].wait(5)
        assert timeline.times["stop_requested"] - asked < REACTION
        thread.join(10)
        assert not thread.is_alive()
    finally:
        control.stop()
        thread.join(10)

    result = results[0]
    assert result.status == "stopped"
    changed = [row for row in result.history if "lr_changes" in row]
    assert len(changed) == 1
    (change,) = changed[0]["lr_changes"]
    assert change["optimizer"] == "adam" and change["from"] == 0.01 and change["to"] == 0.0123
    assert changed[0]["lr"] == 0.0123
    # Per-batch rows show the change at the first step after the resume, not before.
    lrs = {row["step"]: row["lr"] for row in timeline.rows}
    assert lrs[change["step"]] == 0.01 and lrs[change["step"] + 1] == 0.0123


def test_set_lr_rejects_non_positive_rates():
    with pytest.raises(ValueError, match="must be positive"):
        TrainingControl().set_lr(0.0)


def test_stop_while_paused_ends_the_run(digits):
    control = TrainingControl()
    control.pause()
    timer = threading.Timer(0.2, control.stop)
    timer.start()
    started = time.perf_counter()
    result = Trainer(tiny_mlp(epochs=5), data=digits, control=control).fit()
    assert result.status == "stopped" and result.history == []
    assert time.perf_counter() - started < 5


def _child(control: TrainingControl, events) -> None:
    """Train in a child process, streaming events to the parent (as the editor will)."""
    from engine.data import load_dataset
    from tests.engine.training.conftest import tiny_mlp

    class Stream(Callback):
        def __init__(self):
            self.batches = 0

        def on_batch_end(self, trainer, batch):
            self.batches += 1
            if self.batches == 3:
                events.put(("running", None))

        def on_event(self, trainer, event):
            events.put((event.kind, event.data.get("to")))

        def on_train_end(self, trainer, result):
            changes = [c for row in result.history for c in row.get("lr_changes", [])]
            events.put(("done", (result.status, changes)))

    graph = tiny_mlp(epochs=10_000)
    data = load_dataset(graph.nodes["data"].params, 0)
    Trainer(graph, data=data, callbacks=[Stream()], control=control).fit()


def test_parent_process_steers_a_training_child():
    context = multiprocessing.get_context("spawn")
    control = TrainingControl.for_processes(context)
    events = context.Queue()
    child = context.Process(target=_child, args=(control, events), daemon=True)
    child.start()
    try:
        assert events.get(timeout=60) == ("running", None)
        control.pause()
        assert events.get(timeout=5) == ("paused", None)
        control.set_lr(0.05)
        control.resume()
        assert events.get(timeout=5) == ("resumed", None)
        assert events.get(timeout=5) == ("lr_changed", 0.05)
        control.stop()
        assert events.get(timeout=5) == ("stop_requested", None)
        kind, (status, _) = events.get(timeout=10)
        assert kind == "done" and status == "stopped"
    finally:
        control.stop()
        child.join(20)
        if child.is_alive():
            child.terminate()
            child.join(5)
    assert child.exitcode == 0
