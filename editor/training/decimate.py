"""Min-max decimation of a long per-batch curve for drawing, keeping its newest points exact.

A 300-epoch run of the digits MLP sends ~13,500 batch losses; a plot is a few hundred pixels
wide. Drawing every point costs time that grows with the run, and pyqtgraph's own "peak"
downsampling drops the last (n mod k) points, so a live curve's end lags behind the latest
batch. Here the points are cut into bins of `k` consecutive points (batches are evenly spaced
in x, so a bin is a slice of a pixel column); each complete bin is drawn as its lowest and
highest value, and the points after the last complete bin are drawn as they are. `k` is a
power of two, so the bins stay put as the run grows (no shimmer) and the drawn envelope is the
same as the full curve's at the plot's resolution. Nothing is dropped from the data itself:
only what is handed to the painter.
"""

from __future__ import annotations

import math

import numpy as np

POINTS_PER_PIXEL = 1.0  # bins per pixel column (each bin is drawn as two points)


def bin_size(count: int, pixels: float, per_pixel: float = POINTS_PER_PIXEL) -> int:
    """Points per bin for `count` points drawn across `pixels` pixel columns: a power of two, 1 = all points."""
    bins = max(1.0, pixels * per_pixel)
    if count <= 2 * bins:
        return 1
    return 1 << int(math.floor(math.log2(count / bins)))


def decimate(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each complete bin of `k` points as (its first x, lowest y), (its first x, highest y), in that
    order; the remaining tail exactly as given. NaN is skipped within a bin (a bin of only NaN stays NaN)."""
    if k <= 1 or len(x) < 2 * k:
        return x, y
    whole = (len(x) // k) * k
    if whole == len(x):  # keep the newest point exact: it is the one the user watches
        whole -= k
    bins_y = y[:whole].reshape(-1, k)
    low = np.fmin.reduce(bins_y, axis=1)
    high = np.fmax.reduce(bins_y, axis=1)
    starts = x[:whole:k]
    out_x = np.repeat(starts, 2)
    out_y = np.empty(2 * len(low))
    out_y[0::2] = low
    out_y[1::2] = high
    return np.concatenate((out_x, x[whole:])), np.concatenate((out_y, y[whole:]))
