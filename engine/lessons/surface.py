"""Optimizers on a 2-D loss surface: each one's path across a curved valley, step by step.

The picture of Goh's "Why Momentum Really Works": on a long, narrow, curved valley (a
Rosenbrock function, minimum at (1, 1)) plain gradient descent zig-zags across the steep
walls and crawls along the flat floor; momentum builds up speed along the floor; the
adaptive methods (Adam, RMSprop, Adagrad) rescale each coordinate by its own gradient
history. The optimizers are the very torch optimizers the optimizer nodes build
(engine.nodes.optimizers.make_torch_optimizer), stepping on two numbers instead of a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

VALLEY_STEEPNESS = 5.0  # f(x, y) = (1 - x)^2 + 5 (y - x^2)^2
VALLEY_MINIMUM = (1.0, 1.0)
START = (-1.5, 1.6)
STEPS = 150
BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))  # x range, y range of the plotted surface

# The optimizer nodes' types with the learning rates the lesson uses: GD and Momentum share one
# rate, so the only difference between their paths is momentum itself. SGD is left out: on a
# function of two numbers there are no mini-batches, and its path is Gradient Descent's.
SURFACE_OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Gradient Descent": ("optimizers.GradientDescent", {"lr": 0.02}),
    "Momentum": ("optimizers.Momentum", {"lr": 0.02, "momentum": 0.9}),
    "Adam": ("optimizers.Adam", {"lr": 0.1}),
    "RMSprop": ("optimizers.RMSprop", {"lr": 0.02}),
    "Adagrad": ("optimizers.Adagrad", {"lr": 0.5}),
}


def valley(x, y):
    """The loss at (x, y); works on floats, numpy arrays and torch tensors alike."""
    return (1 - x) ** 2 + VALLEY_STEEPNESS * (y - x**2) ** 2


@dataclass(frozen=True)
class OptimizerPath:
    name: str
    points: np.ndarray  # [steps + 1, 2], the start included
    losses: np.ndarray  # [steps + 1]

    @property
    def final_distance(self) -> float:
        """How far the last point is from the valley's minimum."""
        return float(np.hypot(*(self.points[-1] - np.asarray(VALLEY_MINIMUM))))


def optimizer_path(
    type_id: str, params: dict[str, Any], steps: int = STEPS, start: tuple[float, float] = START, name: str = ""
) -> OptimizerPath:
    """Run one optimizer node's torch optimizer for `steps` steps on the valley from `start`.

    SGD here sees the exact gradient (no mini-batch noise on a function of two numbers), so
    its path equals Gradient Descent's at the same learning rate.
    """
    import torch

    from engine.nodes.optimizers import make_torch_optimizer

    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_torch_optimizer(type_id, params, [point])
    points, losses = [point.detach().clone().numpy()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = valley(point[0], point[1])
        losses.append(float(loss.detach()))
        loss.backward()
        optimizer.step()
        points.append(point.detach().clone().numpy())
    losses.append(float(valley(*points[-1])))
    return OptimizerPath(name or type_id, np.array(points), np.array(losses))


def optimizer_paths(steps: int = STEPS) -> list[OptimizerPath]:
    """Every optimizer of SURFACE_OPTIMIZERS from the same start."""
    return [optimizer_path(type_id, params, steps, name=name) for name, (type_id, params) in SURFACE_OPTIMIZERS.items()]


def surface_grid(resolution: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs [R], ys [R] and the loss [R, R] (indexed [x, y]) over BOUNDS, for a contour plot."""
    (x0, x1), (y0, y1) = BOUNDS
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return xs, ys, valley(gx, gy)
