"""The canvas badges show the engine's verdict on a layer's health, so the editor and `train` agree."""

import math

import pytest

from editor.training.health import dead_relu_badge, gradient_badge
from engine.training.health import EXPLODING_GRADIENT, VANISHING_GRADIENT, dead_relu_state, gradient_state


@pytest.mark.parametrize(
    "norm", [VANISHING_GRADIENT / 2, VANISHING_GRADIENT, 0.5, EXPLODING_GRADIENT, EXPLODING_GRADIENT * 2, math.nan]
)
def test_gradient_badge_state_is_the_engines(norm):
    assert gradient_badge(norm)[2] == gradient_state(norm)


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.35, 0.5, 0.9])
def test_dead_relu_badge_state_is_the_engines(fraction):
    text, _color, state = dead_relu_badge(fraction)
    assert state == dead_relu_state(fraction) and text == f"{fraction:.0%} dead"
