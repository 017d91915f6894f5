"""Synthetic datasets, generated from the node's settings and the run's seed.

sine_wave: windows of a noisy sine wave; predict the next value (forecasting). Every
window has its own random phase and a period between 8 and 32 steps; noise is the
standard deviation of Gaussian noise added to every value, targets included, so the
best reachable mean squared error is about noise**2.

gaussian_ring: 2-D points from 8 Gaussians evenly spaced on a circle of radius 2, the
classic test of whether a GAN covers every mode (Metz et al., "Unrolled GANs"). Each
Gaussian's standard deviation is 0.2 * noise, so the default noise 0.1 gives the
classic 0.02. `y` is the index of the Gaussian a point came from.

line_outliers: points on the line y = 2x + 1 (x uniform in [-2, 2]) with Gaussian noise of
std `noise`, of which one in ten is an outlier lifted by 10 to 20: what squared error chases
and Huber loss shrugs off. x and y are kept in their own units (no standardizing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.registry.spec import floats, labels

RING_MODES = 8
RING_RADIUS = 2.0
RING_STD_PER_NOISE = 0.2
LINE_SLOPE, LINE_INTERCEPT = 2.0, 1.0
OUTLIER_SHARE = 0.1
SINE_PERIODS = (8.0, 32.0)
# Refuse sizes that would not fit in memory rather than fail deep inside numpy.
MAX_VALUES = 50_000_000


@dataclass(frozen=True)
class RingGeometry:
    """Where the ring's modes are: `centres` [8, 2] and each Gaussian's `std`."""

    centres: np.ndarray
    std: float

    def nearest_mode(self, points: np.ndarray) -> np.ndarray:
        """Index of the closest centre for each point of [N, 2]."""
        distances = np.linalg.norm(points[:, None, :] - self.centres[None], axis=-1)
        return distances.argmin(axis=1)

    def covered_modes(self, points: np.ndarray, within_stds: float = 3.0) -> int:
        """How many modes have at least one point within `within_stds` standard deviations."""
        distances = np.linalg.norm(points[:, None, :] - self.centres[None], axis=-1)
        return int(np.any(distances <= within_stds * max(self.std, 1e-12), axis=0).sum())


def ring_geometry(noise: float = 0.1) -> RingGeometry:
    """The gaussian_ring dataset's centres and spread for a given `noise` setting."""
    angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    centres = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return RingGeometry(centres, RING_STD_PER_NOISE * noise)


def describe_synthetic(params: dict[str, Any]) -> DatasetInfo:
    n = params["num_samples"]
    if params["dataset"] == "line_outliers":
        return DatasetInfo(floats(1), floats(1), "regression", (), n)
    if params["dataset"] == "sine_wave":
        steps = params["sequence_length"]
        if n * steps > MAX_VALUES:
            raise DataError(
                f"sine_wave: {n} windows of {steps} steps is too much data "
                f"(at most {MAX_VALUES:,} values); lower num_samples or sequence_length"
            )
        return DatasetInfo(floats(steps, 1), floats(1), "forecasting", (), n)
    names = tuple(f"mode {i}" for i in range(RING_MODES))
    return DatasetInfo(floats(2), labels(RING_MODES), "generation", names, n)


def read_synthetic(params: dict[str, Any], seed: int) -> RawDataset:
    info = describe_synthetic(params)
    streams = {"sine_wave": 1, "gaussian_ring": 2, "line_outliers": 3}
    rng = np.random.default_rng([seed, streams[params["dataset"]]])
    if params["dataset"] == "line_outliers":
        x, y = line_with_outliers(params["num_samples"], params["noise"], rng)
        return RawDataset(x, y, info, identity={k: params[k] for k in ("num_samples", "noise")})
    if params["dataset"] == "sine_wave":
        x, y = sine_windows(params["num_samples"], params["sequence_length"], params["noise"], rng)
        identity = {k: params[k] for k in ("num_samples", "sequence_length", "noise")}
    else:
        x, y = ring_points(params["num_samples"], params["noise"], rng)
        identity = {k: params[k] for k in ("num_samples", "noise")}
    return RawDataset(x, y, info, identity=identity)


def sine_windows(num: int, steps: int, noise: float, rng: np.random.Generator):
    """x [num, steps, 1] noisy sine windows and y [num, 1] the value after each window."""
    period = rng.uniform(*SINE_PERIODS, size=(num, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(num, 1))
    t = np.arange(steps + 1)[None, :]
    wave = np.sin(2 * np.pi * t / period + phase) + noise * rng.standard_normal((num, steps + 1))
    wave = wave.astype(np.float32)
    return wave[:, :steps, None], wave[:, steps:]


def line_with_outliers(num: int, noise: float, rng: np.random.Generator):
    """x [num, 1] in [-2, 2] and y [num, 1] = 2x + 1 + noise, one in ten lifted by 10 to 20."""
    x = rng.uniform(-2, 2, size=(num, 1))
    y = LINE_SLOPE * x + LINE_INTERCEPT + noise * rng.standard_normal((num, 1))
    outliers = rng.random(num) < OUTLIER_SHARE
    y[outliers] += rng.uniform(10, 20, size=(int(outliers.sum()), 1))
    return x.astype(np.float32), y.astype(np.float32)


def ring_points(num: int, noise: float, rng: np.random.Generator):
    """x [num, 2] points on the ring and y [num] the index of their Gaussian."""
    geometry = ring_geometry(noise)
    y = rng.integers(0, RING_MODES, size=num)
    x = geometry.centres[y] + geometry.std * rng.standard_normal((num, 2))
    return x.astype(np.float32), y.astype(np.int64)
