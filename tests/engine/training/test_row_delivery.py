"""Per-batch rows reach `on_batch_rows` in chunks: every batch once, in order, from the first batch on.

Streaming and writing callbacks read rows this way, so nothing of theirs runs between deliveries;
the rows are the same ones `on_batch_end` readers get, and the metrics files hold them all.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from engine.training import Callback, MetricsWriter, TrainingControl
from engine.training.callbacks import batch_lines
from engine.training.trainer import Trainer

from .conftest import Recorder, tiny_mlp, without_timing


class RowReader(Callback):
    def __init__(self):
        self.deliveries = []

    def on_batch_rows(self, trainer, rows):
        self.deliveries.append(rows)

    @property
    def rows(self) -> list[dict]:
        return [row for delivery in self.deliveries for row in delivery.rows]


def test_every_batch_is_delivered_once_in_order_from_the_first(digits):
    reader, recorder = RowReader(), Recorder()
    trainer = Trainer(tiny_mlp(epochs=3), data=digits, callbacks=[reader, recorder], log_every=5)
    trainer.fit()
    total = 3 * trainer.batches_per_epoch
    assert [row["step"] for row in reader.rows] == list(range(1, total + 1))
    assert reader.rows == recorder.batch_rows  # the same rows on_batch_end readers get
    first = reader.deliveries[0]
    assert (first.epoch, first.index, first.step, first.batches, first.samples) == (1, 0, 1, 1, 64)
    assert sum(d.batches for d in reader.deliveries) == total
    assert sum(d.samples for d in reader.deliveries) == 3 * len(digits.train_x)
    ends = [d for d in reader.deliveries if d.index == trainer.batches_per_epoch - 1]
    assert [d.epoch for d in ends] == [1, 2, 3]  # each epoch's last rows come before its end


def test_epoch_metrics_are_the_same_whoever_reads_the_rows(digits):
    alone = Trainer(tiny_mlp(epochs=2), data=digits).fit().history
    read = Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[RowReader()]).fit().history
    assert without_timing(alone) == without_timing(read)


def test_a_stopped_run_delivers_the_batches_it_trained(digits):
    """A stop mid-epoch, far from a log_every boundary: the rows trained so far still arrive."""
    control = TrainingControl()
    reader = RowReader()

    class Stopper(Callback):
        def on_batch_end(self, trainer, batch):
            if batch.step == 7:
                control.stop()

    trainer = Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[reader, Stopper()], control=control, log_every=50)
    assert trainer.fit().status == "stopped"
    assert [row["step"] for row in reader.rows] == list(range(1, 8))


def test_rows_before_an_lr_change_are_delivered_with_their_rate(digits):
    control = TrainingControl()
    reader = RowReader()

    class ChangeAtFour(Callback):
        def on_batch_end(self, trainer, batch):
            if batch.step == 4:
                control.set_lr(0.005)

    trainer = Trainer(tiny_mlp(epochs=1), data=digits, callbacks=[reader, ChangeAtFour()], control=control)
    trainer.fit()
    assert [row["step"] for row in reader.rows] == list(range(1, trainer.batches_per_epoch + 1))
    assert {row["lr"] for row in reader.rows if row["step"] <= 4} == {0.01}
    assert {row["lr"] for row in reader.rows if row["step"] > 4} == {0.005}
    assert reader.deliveries[1].step == 4  # delivered when the change came, not at the next boundary


def test_metrics_files_are_written_at_most_every_interval_and_completely_at_the_end(digits, tmp_path, monkeypatch):
    monkeypatch.setattr(MetricsWriter, "WRITE_EVERY_S", 3600.0)
    path, batches = tmp_path / "metrics.jsonl", tmp_path / "batches.jsonl"
    writer = MetricsWriter(path, batches)
    seen = {}

    class Look(Callback):
        def on_epoch_end(self, trainer, epoch, metrics):
            if epoch == 3:
                # epoch 1 went out at once (on a thread, maybe not on disk yet); epochs 2 and 3 are held
                seen["before"] = len(path.read_text().splitlines()) if path.exists() else 0
                writer.wait_until_written()
                seen["after"] = len(path.read_text().splitlines())
                seen["batches"] = len(batches.read_text().splitlines())

    trainer = Trainer(tiny_mlp(epochs=4), data=digits, callbacks=[writer, Look()])
    result = trainer.fit()
    assert seen.pop("before") <= 1
    assert seen == {"after": 3, "batches": 3 * trainer.batches_per_epoch}
    assert [json.loads(line) for line in path.read_text().splitlines()] == json.loads(json.dumps(result.history))
    steps = [json.loads(line)["step"] for line in batches.read_text().splitlines()]
    assert steps == list(range(1, 4 * trainer.batches_per_epoch + 1))


@pytest.mark.parametrize(
    "rows",
    [
        [{"epoch": 1, "step": 3, "loss": 0.25, "acc": 0.5, "lr": 1e-3}, {"epoch": 1, "step": 4, "loss": 1e-300}],
        [{"epoch": 1, "step": 3, "loss": 0.1 + 0.2, "lr": 1e-3}, {"epoch": 2, "step": 4, "loss": 3.0, "lr": 2e-17}],
        [{"epoch": 1, "step": 1, "loss": math.nan}, {"epoch": 1, "step": 2, "loss": -math.inf}],
        [{"epoch": 1, "step": 1, "loss": np.float64(0.5)}, {"epoch": 1, "step": 2, "loss": True}],
        [{"loss_a%d": 0.5, 'say "hi"\n': 1, "acc_é": 0.25}],
        [{"step": 1, "loss": 2.0}, {"loss": 2.0, "step": 1}],  # same keys, another order
        [],
    ],
)
def test_batch_lines_are_what_json_writes(rows):
    assert batch_lines(rows) == "".join(json.dumps(row, allow_nan=True) + "\n" for row in rows)


def test_layer_gradient_norms_leave_out_silent_steps_and_come_in_one_read(digits):
    """RMS over the steps that had gradients of each layer's norm; the share of steps with none."""
    step = Trainer(tiny_mlp(epochs=1), data=digits).steps[0]
    assert step.param_layers == ["fc1", "fc1", "fc2", "fc2"]  # weight and bias of each
    samples = [
        torch.tensor([3.0, 4.0, 1.0, 0.0]),
        torch.zeros(4),  # a step whose loss gave no gradient at all
        torch.tensor([0.0, 0.0, 2.0, 2.0]),
    ]
    norms, silent = step.norms_and_silence(samples)
    assert norms == pytest.approx({"fc1": math.sqrt((25 + 0) / 2), "fc2": math.sqrt((1 + 8) / 2)}, rel=1e-12)
    assert silent == pytest.approx(1 / 3)
    assert step.layer_norms(samples) == norms and step.silent_share(samples) == pytest.approx(silent)
    assert step.norms_and_silence([torch.zeros(4)]) == ({"fc1": 0.0, "fc2": 0.0}, 1.0)
    assert step.norms_and_silence([]) == ({}, 0.0)
