"""Checkpoints: a stopped run resumes to the same metrics as an uninterrupted one; no unpickling."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from engine.training import Callback, TrainingControl
from engine.training.checkpoint import STATE, WEIGHTS, load_checkpoint
from engine.training.errors import TrainingError
from engine.training.trainer import Trainer

from .conftest import tiny_mlp, without_timing


def _graph(epochs: int):
    # Dropout makes the run depend on the global random state too, which must be restored.
    graph = tiny_mlp(epochs=epochs, schedule="step", schedule_step_size=1, schedule_gamma=0.8)
    graph.add_node("layers.Dropout", {"p": 0.2}, node_id="drop")
    graph.disconnect(next(e for e in graph.edges if e.src == "relu1"))
    graph.connect("relu1", "out", "drop", "in")
    graph.connect("drop", "out", "fc2", "in")
    return graph


def test_resume_after_two_epochs_equals_an_uninterrupted_run(digits, tmp_path):
    full = Trainer(_graph(4), data=digits).fit()
    Trainer(_graph(2), data=digits, checkpoint_dir=tmp_path).fit()
    resumed_trainer = Trainer(_graph(4), data=digits, checkpoint_dir=tmp_path)
    resumed = resumed_trainer.fit(resume=True)
    assert resumed_trainer.start_epoch == 2
    assert without_timing(resumed.history) == without_timing(full.history)
    assert [r["lr"] for r in resumed.history] == pytest.approx([0.01, 0.008, 0.0064, 0.00512])


def test_stop_mid_epoch_resumes_from_the_last_finished_epoch(digits, tmp_path):
    class StopInEpochThree(Callback):
        def __init__(self, control):
            self.control = control

        def on_batch_end(self, trainer, batch):
            if batch.epoch == 3 and batch.index == 5:
                self.control.stop()

    control = TrainingControl()
    stopped = Trainer(
        _graph(4), data=digits, checkpoint_dir=tmp_path, control=control, callbacks=[StopInEpochThree(control)]
    ).fit()
    assert stopped.status == "stopped" and len(stopped.history) == 2
    resumed = Trainer(_graph(4), data=digits, checkpoint_dir=tmp_path).fit(resume=True)
    full = Trainer(_graph(4), data=digits).fit()
    assert without_timing(resumed.history) == without_timing(full.history)


def test_checkpoint_files(digits, tmp_path):
    trainer = Trainer(tiny_mlp(epochs=2), data=digits, checkpoint_dir=tmp_path)
    trainer.fit()
    weights = load_file(str(tmp_path / "last" / WEIGHTS))
    assert set(weights) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert torch.equal(weights["fc2.weight"], trainer.modules.fc2.weight.detach())
    state = torch.load(tmp_path / "last" / STATE, weights_only=True)
    assert state["epoch"] == 2 and set(state["optimizers"]) == {"adam"}
    assert (tmp_path / "best" / WEIGHTS).is_file()


class _Payload:
    ran = False

    def __reduce__(self):
        return (_mark_ran, ())


def _mark_ran():
    _Payload.ran = True
    return "pwned"


def test_loading_a_checkpoint_never_unpickles_code(digits, tmp_path):
    trainer = Trainer(tiny_mlp(epochs=1), data=digits, checkpoint_dir=tmp_path)
    trainer.fit()
    state_path = tmp_path / "last" / STATE
    state = torch.load(state_path, weights_only=True)
    state["evil"] = _Payload()
    torch.save(state, state_path)
    with pytest.raises(TrainingError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "last", trainer.modules)
    assert _Payload.ran is False


def test_resume_refuses_a_different_graph_or_missing_checkpoint(digits, tmp_path):
    Trainer(tiny_mlp(epochs=1), data=digits, checkpoint_dir=tmp_path).fit()
    changed = tiny_mlp(epochs=2)
    changed.nodes["adam"].params["lr"] = 0.5
    with pytest.raises(TrainingError, match="different graph or settings"):
        Trainer(changed, data=digits, checkpoint_dir=tmp_path).fit(resume=True)
    with pytest.raises(TrainingError, match="no checkpoint to resume from"):
        Trainer(tiny_mlp(epochs=2), data=digits, checkpoint_dir=tmp_path / "nothing").fit(resume=True)
