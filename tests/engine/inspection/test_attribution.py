"""Saliency and Grad-CAM (Captum) agree with finite differences on a tiny model."""

from __future__ import annotations

import torch
from torch import nn

from engine.inspection.attribution import grad_cam, saliency

EPS = 1e-6


def tiny_classifier() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 5 * 5, 4)).double()


def test_saliency_is_the_gradient_of_the_target_score():
    model = tiny_classifier()
    x = torch.randn(2, 1, 5, 5, dtype=torch.float64)
    target = torch.tensor([1, 3])
    grads = saliency(model, x, target)
    for n in range(2):
        for index in [(0, 0, 0), (0, 2, 3), (0, 4, 4)]:
            up, down = x.clone(), x.clone()
            up[(n, *index)] += EPS
            down[(n, *index)] -= EPS
            with torch.no_grad():
                expected = (model(up)[n, target[n]] - model(down)[n, target[n]]) / (2 * EPS)
            assert abs(grads[(n, *index)] - float(expected)) < 1e-7


def test_grad_cam_weights_each_channel_by_its_mean_finite_difference_gradient():
    model = tiny_classifier()
    layer = model[0]
    x = torch.randn(1, 1, 5, 5, dtype=torch.float64)
    target = 2
    with torch.no_grad():
        activation = layer(x)

    def score_with(delta: torch.Tensor) -> float:
        handle = layer.register_forward_hook(lambda module, args, out: out + delta)
        try:
            with torch.no_grad():
                return float(model(x)[0, target])
        finally:
            handle.remove()

    grads = torch.zeros_like(activation)
    for index in torch.cartesian_prod(*[torch.arange(s) for s in activation.shape[1:]]):
        delta = torch.zeros_like(activation)
        delta[(0, *index.tolist())] = EPS
        grads[(0, *index.tolist())] = (score_with(delta) - score_with(-delta)) / (2 * EPS)
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    expected = torch.relu((alpha * activation).sum(1))[0]
    cam = grad_cam(model, layer, x, target)  # the conv keeps 5x5, so no interpolation
    assert cam.shape == (1, 5, 5)
    torch.testing.assert_close(torch.from_numpy(cam[0]), expected, atol=1e-7, rtol=1e-6)
    assert (cam >= 0).all() and cam.max() > 0
