"""Early stopping with restored best weights, and the step, cosine and plateau schedules."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file

from engine.training.checkpoint import WEIGHTS
from engine.training.schedules import Monitor
from engine.training.trainer import Trainer

from .conftest import Recorder, tiny_mlp


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(digits, tmp_path):
    # No later epoch beats the first by min_delta, so epoch 1 stays the best.
    graph = tiny_mlp(epochs=10, early_stopping=True, patience=2, min_delta=10.0, monitor="val_loss")
    recorder = Recorder()
    trainer = Trainer(graph, data=digits, checkpoint_dir=tmp_path, callbacks=[recorder])
    result = trainer.fit()
    assert result.status == "early_stopped" and len(result.history) == 3
    assert result.best_epoch == 1 and result.restored_best
    assert result.final_metrics == result.history[0]
    assert ("on_event", "early_stopped") in recorder.calls
    best = load_file(str(tmp_path / "best" / WEIGHTS))
    last = load_file(str(tmp_path / "last" / WEIGHTS))
    now = trainer.modules.state_dict()
    assert all(torch.equal(now[k], best[k]) for k in best)
    assert not torch.equal(now["fc1.weight"], last["fc1.weight"])


def test_without_restore_the_last_weights_stay(digits, tmp_path):
    graph = tiny_mlp(epochs=10, early_stopping=True, patience=1, min_delta=10.0, restore_best_weights=False)
    trainer = Trainer(graph, data=digits, checkpoint_dir=tmp_path)
    result = trainer.fit()
    assert result.status == "early_stopped" and len(result.history) == 2 and not result.restored_best
    last = load_file(str(tmp_path / "last" / WEIGHTS))
    assert torch.equal(trainer.modules.state_dict()["fc1.weight"], last["fc1.weight"])


def test_monitor_directions_and_min_delta():
    loss = Monitor("val_loss", min_delta=0.1)
    assert [loss.update(v, e) for e, v in enumerate([1.0, 0.95, 0.85, 0.9], 1)] == [True, False, True, False]
    assert (loss.best, loss.best_epoch, loss.wait) == (0.85, 3, 1)
    acc = Monitor("val_acc")
    assert [acc.update(v, e) for e, v in enumerate([0.5, 0.6, 0.6, 0.7], 1)] == [True, True, False, True]
    assert math.isnan(Monitor("val_loss").best)


def test_step_schedule(digits):
    graph = tiny_mlp(epochs=4, schedule="step", schedule_step_size=2, schedule_gamma=0.5)
    rows = Trainer(graph, data=digits).fit().history
    assert [r["lr"] for r in rows] == pytest.approx([0.01, 0.01, 0.005, 0.005])


def test_cosine_schedule(digits):
    rows = Trainer(tiny_mlp(epochs=4, schedule="cosine"), data=digits).fit().history
    expected = [0.01 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert [r["lr"] for r in rows] == pytest.approx(expected)


def test_plateau_schedule_lowers_the_rate_when_the_metric_stalls(digits):
    graph = tiny_mlp(epochs=4, schedule="plateau", schedule_patience=0, schedule_gamma=0.5)
    graph.nodes["adam"].params["lr"] = 1e-6  # too small to move val_loss by the 1e-4 plateau threshold
    rows = Trainer(graph, data=digits).fit().history
    assert [r["lr"] for r in rows] == pytest.approx([1e-6, 1e-6, 5e-7, 2.5e-7])
