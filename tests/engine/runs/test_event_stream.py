"""The training child's EventStream: few puts however short the epochs, nothing lost, in order."""

from __future__ import annotations

import pytest

from engine.runs.worker import EventStream
from engine.training import Callback, TrainingControl
from engine.training.trainer import Trainer
from tests.engine.training.conftest import tiny_mlp

from .test_runs import ListQueue


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


def stream_run(digits, interval: float, epochs: int = 5, control=None, callbacks=()):
    queue = ListQueue()
    stream = EventStream(queue, interval)
    trainer = Trainer(tiny_mlp(epochs=epochs), data=digits, callbacks=[*callbacks, stream], control=control)
    trainer.fit()
    return trainer, queue


def test_short_epochs_are_coalesced_into_few_puts_and_nothing_is_lost(digits):
    trainer, queue = stream_run(digits, interval=3600.0)
    # started, the first batch (at once: the run has visibly begun), everything else at the end
    assert [[kind for kind, _ in batch] for batch in queue.batches[:2]] == [["started"], ["rows", "progress"]]
    assert len(queue.batches) == 3
    assert queue.messages("epoch") == trainer.history  # every epoch, exactly
    rows = [row for chunk in queue.messages("rows") for row in chunk]
    assert [row["step"] for row in rows] == list(range(1, 5 * trainer.batches_per_epoch + 1))
    last = queue.messages("progress")[-1]
    assert (last["epoch"], last["step"], last["index"]) == (5, trainer.step_count, trainer.batches_per_epoch - 1)


def test_messages_keep_the_order_things_happened_in(digits):
    _, queue = stream_run(digits, interval=0.0, epochs=3)
    flat = [(kind, data) for batch in queue.batches for kind, data in batch]
    seen_step = 0
    for kind, data in flat:
        if kind == "rows":
            seen_step = data[-1]["step"]
        elif kind == "epoch":
            assert seen_step == data["step"]  # an epoch's metrics follow its last batch's row
    assert len(queue.batches) > 3  # with no interval each delivery goes out by itself


def test_what_the_user_did_goes_out_at_once(digits):
    control = TrainingControl()

    class ChangeAtThree(Callback):
        def on_batch_end(self, trainer, batch):
            if batch.step == 3:
                control.set_lr(0.002)

    _, queue = stream_run(digits, interval=3600.0, epochs=2, control=control, callbacks=[ChangeAtThree()])
    batch = next(b for b in queue.batches if any(kind == "event" for kind, _ in b))
    assert [kind for kind, _ in batch] == ["rows", "progress", "event"]
    assert batch[0][1][-1]["step"] == 3 and batch[2][1]["kind"] == "lr_changed"
