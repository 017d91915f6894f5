"""The insight of a regression or forecasting model: what it predicts against what is true.

- regression: predicted against actual for up to POINTS validation samples (first output), with
  R²; when the model reads a single feature, also the fitted curve over the data (the line a
  Huber loss fits through outliers);
- forecasting (a dataset whose task is forecasting, such as sine_wave): the first FORECASTS
  validation windows, each with its true next value and the model's forecast.

`engine.training.insights.Insights` calls these; the editor draws them
(editor/training/regression_view.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from engine.training.insights import Insights
    from engine.training.trainer import Trainer

POINTS = 400
FORECASTS = 4
CURVE = 120  # points along a single-feature model's fitted curve


def regression_plan(trainer: Trainer) -> tuple[str, str] | None:
    """("regression" or "forecast", the prediction node) when a loss compares a prediction with the float y."""
    graph, plan, data = trainer.graph, trainer.plan, trainer.data
    if plan.accuracy or not data.train_y.is_floating_point():
        return None
    for loss in plan.losses:
        edges = {e.dst_port: e for e in graph.edges_into(loss)}
        target, prediction = edges.get("target"), edges.get("prediction")
        if target is None or prediction is None or (target.src, target.src_port) != (plan.dataset, "y"):
            continue
        task = getattr(getattr(data, "info", None), "task", "")
        series = data.train_x.dim() == 3 and data.train_x.shape[-1] == 1  # [N, steps, 1]
        return ("forecast" if task == "forecasting" and series else "regression"), prediction.src
    return None


def r_squared(actual: np.ndarray, predicted: np.ndarray) -> float:
    """1 - residual / total sum of squares: 1 is perfect, 0 is no better than predicting the mean."""
    total = float(((actual - actual.mean()) ** 2).sum())
    residual = float(((actual - predicted) ** 2).sum())
    return 1.0 - residual / total if total > 0 else 0.0


def regression_samples(insights: Insights, kind: str) -> dict[str, Any]:
    node, y_name, x_name = insights.plan.node, insights.y_name, insights.x_name
    n = min(POINTS, len(insights.inputs[y_name]))
    predicted = _first_output(insights._run(0, n)[node])
    actual = _first_output(insights.inputs[y_name][:n])
    result: dict[str, Any] = {
        "kind": kind,
        "actual": actual,
        "predicted": predicted,
        "r2": r_squared(actual.astype(np.float64), predicted.astype(np.float64)),
        "outputs": int(np.prod(insights.inputs[y_name].shape[1:])) or 1,
    }
    x = insights.inputs[x_name]
    if kind == "forecast":
        count = min(FORECASTS, n)
        result["series"] = x[:count].float().cpu().numpy().reshape(count, -1)
    elif x.dim() == 2 and x.shape[1] == 1 and insights.args == [x_name]:
        result["fit"] = _fitted_curve(insights, x[:n].float().cpu().numpy().reshape(-1))
    return result


def _fitted_curve(insights: Insights, xs: np.ndarray) -> dict[str, np.ndarray]:
    grid = np.linspace(float(xs.min()), float(xs.max()), CURVE, dtype=np.float32)
    device = insights.inputs[insights.x_name].device
    out = insights.program(**{insights.x_name: torch.from_numpy(grid).reshape(-1, 1).to(device)})
    out = out if isinstance(out, torch.Tensor) else out[insights.plan.node]
    return {"x": xs, "grid": grid, "curve": _first_output(out)}


def _first_output(values: torch.Tensor) -> np.ndarray:
    """The first output of each sample, as float32 numbers."""
    flat = values.detach().float().cpu().numpy()
    return flat.reshape(len(flat), -1)[:, 0].copy()
