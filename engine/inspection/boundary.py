"""A 2-D classifier's decision map on a grid, and each unit's output for small layers.

    view = decision_map(run, bounds_of(run.data.train_x), resolution=64, unit_nodes=["fc1"])
    view.probabilities  # [64, 64, classes]; view.units["fc1"]  # [units, 64, 64]

One forward pass of resolution**2 points (4,096 at 64: a few milliseconds for the small
networks these datasets are for), so the editor can redraw it live as the model trains.
`model` is anything with `run(x, outputs) -> {node id: tensor}` (TrainedRun has it); the
points are in the data's coordinates (the 2-D datasets are not standardized; a model trained
on standardized features gets the grid standardized the same way through `prepare`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

MAX_UNITS = 16  # a layer with at most this many units gets a map per unit
MARGIN = 0.1  # share of the data's range added on each side


class BoundaryError(Exception):
    """A decision map that cannot be drawn (one line: why)."""


@dataclass
class DecisionMap:
    xs: np.ndarray  # [resolution] grid x coordinates
    ys: np.ndarray  # [resolution] grid y coordinates
    probabilities: np.ndarray  # [resolution (y), resolution (x), classes]
    predicted: np.ndarray  # [resolution (y), resolution (x)] the class with the highest probability
    units: dict[str, np.ndarray] = field(default_factory=dict)  # node id -> [units, resolution, resolution]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return float(self.xs[0]), float(self.xs[-1]), float(self.ys[0]), float(self.ys[-1])


def bounds_of(points: torch.Tensor | np.ndarray, margin: float = MARGIN) -> tuple[float, float, float, float]:
    """(x min, x max, y min, y max) around 2-D points, widened by `margin` of the range on each side."""
    points = np.asarray(points, dtype=np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 1e-3)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def small_layers(model, prediction: str, max_units: int = MAX_UNITS) -> list[str]:
    """Nodes upstream of the prediction whose output is [n, units] with at most `max_units` units."""
    graph, analysis = model.graph, model.plan.analysis
    upstream = graph.ancestors([prediction]) | {prediction}
    children = dict(model.modules.named_children())
    found = []
    for node_id in analysis.order:
        spec = analysis.specs.get((node_id, "out"))
        flat = spec is not None and len(spec.dims) == 1 and 1 <= spec.dims[0] <= max_units
        if flat and node_id in upstream and node_id in children:
            found.append(node_id)
    return found


def require_two_features(model) -> None:
    if tuple(model.x_shape) != (2,):
        raise BoundaryError(f"a decision map needs 2 input features; this model takes {list(model.x_shape)}")


def decision_map(
    model,
    bounds: tuple[float, float, float, float],
    resolution: int = 64,
    unit_nodes: Sequence[str] = (),
    prediction: str | None = None,
    probabilities_of: Callable[[torch.Tensor], np.ndarray] | None = None,
) -> DecisionMap:
    """Class probabilities of `model` over a resolution x resolution grid within `bounds`."""
    prediction = prediction or model.prediction_node
    if prediction is None:
        raise BoundaryError("the graph has no prediction to map")
    require_two_features(model)
    x0, x1, y0, y1 = bounds
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)  # rows follow y, columns follow x
    points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    prepare = getattr(model, "prepare", None)
    if prepare is not None:
        points = prepare(points)
    outputs = model.run(points, [prediction, *[n for n in unit_nodes if n != prediction]])
    if probabilities_of is None:
        from engine.inspection.trained import softmax_of

        accuracy = getattr(model, "accuracy", None)
        kind = accuracy.kind if accuracy is not None else "argmax"
        probabilities = softmax_of(outputs[prediction], kind)
    else:
        probabilities = probabilities_of(outputs[prediction])
    probabilities = probabilities.reshape(resolution, resolution, -1)
    units = {}
    for node_id in unit_nodes:
        out = outputs[node_id].detach().float().reshape(resolution * resolution, -1).cpu().numpy()
        units[node_id] = out.T.reshape(-1, resolution, resolution)
    return DecisionMap(xs, ys, probabilities, probabilities.argmax(-1), units)


def boundary_for_run(run_dir, resolution: int = 64, unit_nodes: Sequence[str] | None = None) -> DecisionMap:
    """A finished run's decision map over its data's range; every small layer's units unless told which."""
    from engine.inspection.trained import load_trained_run

    run = load_trained_run(run_dir)
    require_two_features(run)
    prediction = run.prediction_node
    nodes = small_layers(run, prediction) if unit_nodes is None else list(unit_nodes)
    for node_id in nodes:
        if node_id not in run.graph.nodes:
            raise BoundaryError(f"the run's graph has no node {node_id!r}")
    raw = torch.cat([run.raw_x(run.data.train_x), run.raw_x(run.data.val_x)])
    return decision_map(run, bounds_of(raw), resolution, nodes, prediction)
