"""The losses lesson's picture: the points with outliers and the lines MSE and Huber fitted to them.

The points are the lesson graph's own Dataset (the same seed, so the same split as its runs);
the lines come from a run's weights: each fit is one Linear layer with one input and one
output, whose weight is the slope and whose bias the intercept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.synthetic import LINE_INTERCEPT, LINE_SLOPE
from engine.graph import Graph

FITS = ("mse_fit", "huber_fit")  # the lesson graph's two Linear layers


@dataclass(frozen=True)
class FittedLine:
    node_id: str
    slope: float
    intercept: float


def true_line() -> FittedLine:
    return FittedLine("true line", LINE_SLOPE, LINE_INTERCEPT)


def lesson_points(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """x [N] and y [N] of the graph's training split, as its runs see them."""
    from engine.data import load_dataset

    data = load_dataset(graph.resolved_params("data"), int(graph.training.get("seed", 0)))
    return data.train_x.numpy()[:, 0], data.train_y.numpy()[:, 0]


def fitted_lines(weights_path: Path) -> list[FittedLine]:
    """Slope and intercept of each fit in a run's weights file (read without executing anything)."""
    from engine.weights import read_weights

    tensors = read_weights(weights_path)
    lines = []
    for node_id in FITS:
        weight, bias = tensors.get(f"{node_id}.weight"), tensors.get(f"{node_id}.bias")
        if weight is not None and bias is not None and weight.numel() == 1 and bias.numel() == 1:
            lines.append(FittedLine(node_id, float(weight.reshape(())), float(bias.reshape(()))))
    return lines
