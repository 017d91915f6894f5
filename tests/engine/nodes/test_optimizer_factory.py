"""make_torch_optimizer: every param a user can set on an optimizer node reaches torch."""

from __future__ import annotations

import pytest
import torch

from engine.nodes.optimizers import TRAINER_PARAMS, full_batch, make_torch_optimizer
from engine.registry import ParamError, catalog

OPTIMIZERS = [t.type_id for t in catalog() if t.category == "optimizers"]
TORCH_CLASS = {
    "GradientDescent": torch.optim.SGD,
    "SGD": torch.optim.SGD,
    "Momentum": torch.optim.SGD,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "RMSprop": torch.optim.RMSprop,
    "Adagrad": torch.optim.Adagrad,
}


def group_value(group: dict, name: str):
    """The value torch keeps for one of our param names."""
    if name in ("beta1", "beta2"):
        return group["betas"][0 if name == "beta1" else 1]
    return group[name]


def changed(param):
    """A valid value different from the default."""
    if param.kind == "bool":
        return not param.default
    if param.kind == "choice":
        return next(c for c in param.choices if c != param.default)
    value = param.default * 0.5 if param.default else 0.1
    return param.check(value)


def weights():
    return [torch.nn.Parameter(torch.ones(3))]


@pytest.mark.parametrize("type_id", OPTIMIZERS)
def test_each_param_reaches_torch(type_id):
    node_type = catalog().get(type_id)
    assert type_id.split(".")[1] in TORCH_CLASS, "add the new optimizer to TORCH_CLASS"
    defaults = make_torch_optimizer(type_id, {}, weights())
    assert type(defaults) is TORCH_CLASS[node_type.class_name]
    assert defaults.param_groups[0]["foreach"] is True
    for param in node_type.params:
        if param.name in TRAINER_PARAMS:
            continue
        assert group_value(defaults.param_groups[0], param.name) == param.default
        if param.name == "nesterov":  # needs momentum, which is on by default
            assert defaults.param_groups[0]["momentum"] > 0
        value = changed(param)
        optimizer = make_torch_optimizer(type_id, {param.name: value}, weights())
        assert group_value(optimizer.param_groups[0], param.name) == value, param.name


def test_momentum_and_nesterov_reach_sgd():
    group = make_torch_optimizer(
        "optimizers.Momentum", {"momentum": 0.8, "nesterov": True, "lr": 0.05}, weights()
    ).param_groups[0]
    assert (group["momentum"], group["nesterov"], group["lr"]) == (0.8, True, 0.05)
    plain = make_torch_optimizer("optimizers.SGD", {}, weights()).param_groups[0]
    assert (plain["momentum"], plain["nesterov"]) == (0, False)


def test_a_gradient_descent_step_is_lr_times_the_gradient():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    optimizer = make_torch_optimizer("optimizers.GradientDescent", {"lr": 0.5}, [w])
    (w**2).sum().backward()
    optimizer.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.0, 0.0]))


def test_bad_or_unknown_params_are_refused():
    with pytest.raises(ParamError, match="lr"):
        make_torch_optimizer("optimizers.Adam", {"lr": -1.0}, weights())
    with pytest.raises(ParamError, match="momentum"):
        make_torch_optimizer("optimizers.Adam", {"momentum": 0.9}, weights())


def test_only_gradient_descent_is_full_batch():
    assert [t for t in OPTIMIZERS if full_batch(t)] == ["optimizers.GradientDescent"]
