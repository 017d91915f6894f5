"""A node's activations on the validation set, projected to 2-D (PCA or t-SNE), coloured by class.

    projection = project(run, run.data, "fc1", method="pca", seed=0)
    projection.points  # [n, 2], projection.labels  # [n] class of each point

`model` is anything with `run(x, outputs) -> {node id: tensor}` (engine.inspection.trained's
TrainedRun has it). scikit-learn does the projecting; the samples (at most `max_samples`,
drawn with the seed) and the projection are the same for the same seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

METHODS = ("pca", "tsne")
CHUNK = 1024  # samples per forward pass


class RunsNodes(Protocol):
    def run(self, x: torch.Tensor, outputs: list[str]) -> dict[str, torch.Tensor]: ...


class ProjectionError(Exception):
    """A projection that cannot be made (one line: which node, why)."""


@dataclass
class Projection:
    node_id: str
    method: str
    points: np.ndarray  # float32 [n, 2]
    labels: np.ndarray | None  # int64 [n] class of each point, None for targets that are not classes
    explained_variance: np.ndarray | None  # PCA: share of the variance along each axis; t-SNE: None
    indices: np.ndarray  # which samples of the split, [n]
    split: str = "val"
    class_names: list[str] | None = None


def project(
    model: RunsNodes,
    data: Any,
    node_id: str,
    method: str = "pca",
    seed: int = 0,
    max_samples: int = 2000,
    split: str = "val",
) -> Projection:
    """Project `node_id`'s output on `data`'s `split` (`val`, falling back to `train` when empty) to 2-D."""
    if method not in METHODS:
        raise ProjectionError(f"unknown projection {method!r}: use one of {', '.join(METHODS)}")
    x, y = (data.val_x, data.val_y) if split == "val" else (data.train_x, data.train_y)
    if len(x) == 0 and split == "val":
        split, x, y = "train", data.train_x, data.train_y
    if len(x) < 3:
        raise ProjectionError(f"{split} set has {len(x)} samples: a projection needs at least 3")
    rng = np.random.default_rng([seed, 2])
    indices = np.arange(len(x)) if len(x) <= max_samples else np.sort(rng.choice(len(x), max_samples, replace=False))
    features = node_features(model, x[torch.as_tensor(indices)], node_id)
    points, explained = _reduce(features, method, seed)
    labels = y[torch.as_tensor(indices)].numpy() if y.dtype == torch.int64 else None
    names = list(getattr(data, "class_names", ()) or ()) or None
    return Projection(node_id, method, points, labels, explained, indices, split, names)


def node_features(model: RunsNodes, x: torch.Tensor, node_id: str) -> np.ndarray:
    """`node_id`'s output for every sample of `x`, flattened to [n, features] (float64 for scikit-learn)."""
    parts = []
    for start in range(0, len(x), CHUNK):
        out = model.run(x[start : start + CHUNK], [node_id])[node_id]
        if not isinstance(out, torch.Tensor) or out.dim() == 0 or out.shape[0] != len(x[start : start + CHUNK]):
            raise ProjectionError(f"node {node_id!r} gives no per-sample output to project (a loss?)")
        parts.append(out.detach().float().reshape(out.shape[0], -1).cpu())
    return torch.cat(parts).double().numpy()


def _reduce(features: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    from sklearn.decomposition import PCA

    n, width = features.shape
    if width < 2:  # one feature: it is its own axis, the other is flat
        features = np.concatenate([features, np.zeros((n, 2 - width))], axis=1)
    if method == "pca":
        pca = PCA(n_components=2, svd_solver="full", random_state=seed)
        points = pca.fit_transform(features)
        points = _fixed_signs(points)
        return points.astype(np.float32), pca.explained_variance_ratio_.astype(np.float32)
    from sklearn.manifold import TSNE

    if features.shape[1] > 50:  # the usual speed-up: t-SNE on the first 50 principal components
        features = PCA(n_components=min(50, n), svd_solver="full", random_state=seed).fit_transform(features)
    from threadpoolctl import threadpool_limits

    perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=500)
    # One OpenMP thread: on a busy 2-core machine 120 points took 8-16 s with the default threads
    # (they wait on each other) and 1.1 s with one; at max_samples the work stays small.
    with threadpool_limits(1):
        return tsne.fit_transform(features).astype(np.float32), None


def _fixed_signs(points: np.ndarray) -> np.ndarray:
    """Each axis pointed so that its largest coordinate is positive: the same picture on every machine."""
    for axis in range(points.shape[1]):
        column = points[:, axis]
        if column[np.argmax(np.abs(column))] < 0:
            points[:, axis] = -column
    return points


def project_run(
    run_dir: str | os.PathLike, node_id: str, method: str = "pca", seed: int = 0, max_samples: int = 2000
) -> Projection:
    """`project` on a finished run's trained weights and validation split (engine.inspection.trained)."""
    from engine.inspection.trained import load_trained_run

    run = load_trained_run(run_dir)
    if node_id not in run.graph.nodes:
        raise ProjectionError(f"the run's graph has no node {node_id!r}")
    return project(run, run.data, node_id, method, seed, max_samples)
