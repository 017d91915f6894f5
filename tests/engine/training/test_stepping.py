"""Step mode's engine side (engine/training/stepping.py): exactly one batch per step, with each
layer's gradient norm and relative weight change, and the gradient on every edge."""

from __future__ import annotations

import pytest
import torch

from engine.training.stepping import BatchStepper
from engine.training.trainer import Trainer
from tests.engine.training.test_doctor import mlp


def test_one_step_is_one_batch_one_update_and_its_numbers_are_the_weights_own():
    trainer = Trainer(mlp([16], optimizer="optimizers.SGD", lr=0.5, epochs=1))
    before = {k: v.clone() for k, v in trainer.modules.state_dict().items()}
    report = BatchStepper(trainer).step()
    assert (report.epoch, report.batch, report.step, report.size) == (1, 0, 1, 64) and trainer.step_count == 1
    assert set(report.losses) == {"loss"} and report.losses["loss"] > 0
    assert [layer.node_id for layer in report.layers] == ["fc1", "head"]
    for layer in report.layers:
        old = torch.cat([before[f"{layer.node_id}.{n}"].reshape(-1) for n in ("weight", "bias")])
        new = torch.cat([p.detach().reshape(-1) for p in trainer.modules.get_submodule(layer.node_id).parameters()])
        assert layer.weight_norm == pytest.approx(float(old.norm()), rel=1e-5)
        assert layer.relative_change == pytest.approx(float((new - old).norm() / old.norm()), rel=1e-4)
        # plain SGD moves the weights by lr x gradient: |dW| = 0.5 |g|
        assert layer.update_norm == pytest.approx(0.5 * layer.grad_norm, rel=1e-4)


def test_the_gradient_on_each_edge_shrinks_on_its_way_back_through_a_sigmoid_stack():
    trainer = Trainer(mlp([16] * 4, "activations.Sigmoid", "optimizers.SGD", lr=0.1, epochs=1))
    report = BatchStepper(trainer).step()
    back = [report.port_gradients[(node, "out")] for node in ("head", "act4", "act3", "act2", "act1")]
    assert back == sorted(back, reverse=True) and back[-1] < back[0] / 100
    assert ("data", "x") not in report.port_gradients  # data carries no gradient


def test_steps_walk_through_the_epoch_and_on_into_the_next():
    trainer = Trainer(mlp([8], epochs=1, val_split=0.9))  # 179 training samples: 3 batches of 64
    stepper = BatchStepper(trainer)
    seen = [(r.epoch, r.batch, r.size) for r in (stepper.step() for _ in range(4))]
    assert seen == [(1, 0, 64), (1, 1, 64), (1, 2, 51), (2, 0, 64)]
