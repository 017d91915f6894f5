"""NaN in the validation data, or a validation loss gone NaN, never lets a run 'complete'."""

from __future__ import annotations

import dataclasses

import pytest

from engine.training import TrainingError
from engine.training.errors import DivergedError
from engine.training.trainer import Trainer

from .conftest import tiny_mlp


def test_nan_in_the_validation_data_is_refused_before_training_naming_the_sample(digits):
    val_x = digits.val_x.clone()
    val_x[7, 3] = float("nan")
    val_x[9, 0] = float("inf")
    data = dataclasses.replace(digits, val_x=val_x)
    with pytest.raises(TrainingError, match=r"Dataset `data`: the validation x has 2 samples .* sample 7\)"):
        Trainer(tiny_mlp(), data=data)


def test_a_validation_loss_that_becomes_nan_ends_the_run_as_diverged(digits, tmp_path):
    val_x = digits.val_x.clone()
    val_x[0] = 3e38  # finite, but the first layer's output overflows: the validation loss is NaN
    data = dataclasses.replace(digits, val_x=val_x)
    trainer = Trainer(tiny_mlp(epochs=3), data=data, checkpoint_dir=tmp_path)
    with pytest.raises(DivergedError, match="validation diverged at epoch 1: val_loss is nan") as info:
        trainer.fit()
    assert info.value.epoch == 1 and info.value.node_id == "fc1"  # the layer where the values broke
    assert not (tmp_path / "best").exists()  # nothing was recorded as an improvement
