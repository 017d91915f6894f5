"""A satisfied loss's exactly-zero gradients get a green "loss met" badge, not a blue vanishing one."""

from __future__ import annotations

from editor.training.health import HEALTHY_COLOR, VANISHING_COLOR, badges_from_epoch


def test_a_met_loss_is_green_and_a_faded_gradient_blue():
    met = badges_from_epoch({"grad_norm": {"fc1": 0.0}, "grad_silent": {"fc1": 1.0}})
    assert met["fc1"][:2] == ("∇ 0 (loss met)", HEALTHY_COLOR)
    assert badges_from_epoch({"grad_norm": {"fc1": 0.0}})["fc1"][1] == VANISHING_COLOR
    assert badges_from_epoch({"grad_norm": {"fc1": 1e-6}, "grad_silent": {"fc1": 0.5}})["fc1"][1] == VANISHING_COLOR
