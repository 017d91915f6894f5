"""Two-feature classification datasets for decision boundaries (TensorFlow Playground's set).

Every one is generated from the node's `num_samples` and `noise` and the run's seed, with
classes of (nearly) equal size, and is not standardized: the points keep the coordinates
they are drawn at, so a decision map over them reads in the same units.

- moons: two interleaving half circles (scikit-learn's make_moons); noise is the standard
  deviation of Gaussian noise added to each point.
- circles: a circle inside another (make_circles, inner radius 0.5); noise as for moons.
- spiral: three arms winding out from the centre (the CS231n spiral), radius 0 to 1; noise
  is the standard deviation of Gaussian noise added to each point.
- xor: points uniform in [-1, 1] x [-1, 1], class 1 where x and y have opposite signs, then
  moved by Gaussian noise (noise as for moons), so a linear model cannot separate them.
- blobs: three Gaussian blobs at the corners of a triangle of circumradius 1.5, each with
  standard deviation 3 x noise (0.3 at the default 0.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.info import DatasetInfo, RawDataset
from engine.registry.spec import floats, labels

PLANAR_CLASSES: dict[str, tuple[str, ...]] = {
    "moons": ("upper moon", "lower moon"),
    "circles": ("outer circle", "inner circle"),
    "spiral": ("arm 0", "arm 1", "arm 2"),
    "xor": ("same sign", "opposite signs"),
    "blobs": ("blob 0", "blob 1", "blob 2"),
}
PLANAR_DATASETS = tuple(PLANAR_CLASSES)
SEED_STREAM = {name: 10 + i for i, name in enumerate(PLANAR_DATASETS)}  # apart from the other generators'
BLOB_RADIUS = 1.5
BLOB_STD_PER_NOISE = 3.0


def describe_planar(params: dict[str, Any]) -> DatasetInfo:
    names = PLANAR_CLASSES[params["dataset"]]
    return DatasetInfo(floats(2), labels(len(names)), "classification", names, params["num_samples"])


def read_planar(params: dict[str, Any], seed: int) -> RawDataset:
    name, n, noise = params["dataset"], int(params["num_samples"]), float(params["noise"])
    x, y = planar_points(name, n, noise, seed)
    identity = {"num_samples": n, "noise": noise, "class_names": list(PLANAR_CLASSES[name])}
    return RawDataset(x, y, describe_planar(params), identity=identity)


def planar_points(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x float32 [n, 2] and y int64 [n] of the named dataset, the same for the same seed."""
    rng = np.random.default_rng([seed, SEED_STREAM[name]])
    x, y = _GENERATORS[name](n, noise, rng)
    return x.astype(np.float32), y.astype(np.int64)


def _moons(n: int, noise: float, rng: np.random.Generator):
    from sklearn.datasets import make_moons

    return make_moons(n, noise=noise, random_state=int(rng.integers(2**31)))


def _circles(n: int, noise: float, rng: np.random.Generator):
    from sklearn.datasets import make_circles

    return make_circles(n, noise=noise, factor=0.5, random_state=int(rng.integers(2**31)))


def _spiral(n: int, noise: float, rng: np.random.Generator):
    arms = len(PLANAR_CLASSES["spiral"])
    y = np.arange(n) % arms
    radius = rng.uniform(0.0, 1.0, n)
    angle = y * (2 * np.pi / arms) + radius * 4.0  # each arm turns about 2/3 of a circle
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x + noise * rng.standard_normal((n, 2)), y


def _xor(n: int, noise: float, rng: np.random.Generator):
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), y


def _blobs(n: int, noise: float, rng: np.random.Generator):
    count = len(PLANAR_CLASSES["blobs"])
    y = np.arange(n) % count
    angles = np.pi / 2 + 2 * np.pi * np.arange(count) / count
    centres = BLOB_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centres[y] + BLOB_STD_PER_NOISE * noise * rng.standard_normal((n, 2)), y


_GENERATORS = {"moons": _moons, "circles": _circles, "spiral": _spiral, "xor": _xor, "blobs": _blobs}
