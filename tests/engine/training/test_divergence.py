"""A NaN or infinite loss stops the run and names the first node whose output broke."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.training.errors import DivergedError
from engine.training.trainer import Trainer

from .conftest import Recorder, tiny_mlp


def test_overflow_names_the_first_non_finite_node(digits):
    recorder = Recorder()
    trainer = Trainer(tiny_mlp(), data=digits, callbacks=[recorder])
    with torch.no_grad():  # fc1's outputs stay finite (< 1e38); fc2's overflow to inf
        trainer.modules.fc1.weight.mul_(1e37)
        trainer.modules.fc2.weight.mul_(1e37)
    before = {k: v.clone() for k, v in trainer.modules.state_dict().items()}
    with pytest.raises(DivergedError, match=r"Linear `fc2` became NaN or infinite \(its output overflowed") as info:
        trainer.fit()
    assert info.value.node_id == "fc2" and info.value.step == 1 and info.value.epoch == 1
    assert recorder.calls[-1] == ("on_exception", "DivergedError")
    # The broken step was not applied.
    assert all(torch.equal(before[k], v) for k, v in trainer.modules.state_dict().items())


def test_non_finite_weights_are_named_with_their_cause(digits):
    trainer = Trainer(tiny_mlp(), data=digits)
    with torch.no_grad():
        trainer.modules.fc2.bias[3] = float("inf")
    with pytest.raises(DivergedError, match="`fc2`.*its weights are NaN or infinite") as info:
        trainer.fit()
    assert info.value.node_id == "fc2"


def test_nan_in_the_data_blames_the_dataset(digits):
    train_x = digits.train_x.clone()
    train_x[:, 5] = float("nan")
    data = dataclasses.replace(digits, train_x=train_x)
    with pytest.raises(DivergedError, match="Dataset `data`.*its data contains NaN") as info:
        Trainer(tiny_mlp(), data=data).fit()
    assert info.value.node_id == "data"
