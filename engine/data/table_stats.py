"""Exact sums for a table's fitted statistics, so a table read in chunks fits exactly what one read whole fits.

A float sum depends on the order it adds in; these do not. `exact_terms` turns a run of floats
into a few floats whose sum is exactly theirs (math.fsum, correctly rounded, and its residuals);
the terms of many chunks add up (as fractions) to the exact total of every value. Means and
standard deviations are then rounded once from the exact total, whether the rows came in one
array (in memory) or chunk by chunk (streamed), in any order.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

MAX_TERMS = 64  # a float64 sum needs at most ~40 non-overlapping terms; a bound, never reached


def exact_terms(values: np.ndarray) -> list[float]:
    """Floats whose exact sum is the exact sum of `values` (finite float64)."""
    rest = np.asarray(values, dtype=np.float64).tolist()
    terms: list[float] = []
    while len(terms) < MAX_TERMS:
        total = math.fsum(rest)
        if total == 0.0:  # fsum rounds correctly: an exact sum that is not 0 never rounds to 0
            break
        terms.append(total)
        rest.append(-total)
    return terms


class ExactSums:
    """Per-column exact sums (and sums of squares) of rows given in any number of chunks."""

    def __init__(self, width: int, squares: bool = False):
        self.count = 0
        self.sums = [Fraction(0)] * width
        self.squares = [Fraction(0)] * width if squares else None

    def add(self, rows: np.ndarray) -> None:
        """Rows [n, width]: float64, or float32 (whose squares are exact in float64)."""
        rows = np.asarray(rows, dtype=np.float64)
        self.count += len(rows)
        for index in range(rows.shape[1]):
            column = rows[:, index]
            self.sums[index] += sum(map(Fraction, exact_terms(column)), Fraction(0))
            if self.squares is not None:
                self.squares[index] += sum(map(Fraction, exact_terms(column * column)), Fraction(0))

    def merge(self, other: ExactSums) -> None:
        """Add another chunk's sums (exact: the order chunks come in changes nothing)."""
        self.count += other.count
        self.sums = [a + b for a, b in zip(self.sums, other.sums, strict=True)]
        if self.squares is not None and other.squares is not None:
            self.squares = [a + b for a, b in zip(self.squares, other.squares, strict=True)]

    def means(self) -> list[float]:
        return [float(s / self.count) for s in self.sums]

    def stds(self) -> list[float]:
        """Population standard deviations (numpy's default), from the exact variance."""
        n = self.count
        return [math.sqrt(float(q / n - (s / n) ** 2)) for s, q in zip(self.sums, self.squares or [], strict=True)]


def exact_mean(values: np.ndarray) -> float:
    """The mean of `values`, rounded once from their exact sum."""
    sums = ExactSums(1)
    sums.add(np.asarray(values, dtype=np.float64).reshape(-1, 1))
    return sums.means()[0]


def exact_feature_stats(train_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As load.feature_stats (mean, std; 1 for a constant feature), float32, from exact sums."""
    sums = ExactSums(train_x.shape[1], squares=True)
    sums.add(train_x)
    return stats_from_sums(sums)


def stats_from_sums(sums: ExactSums) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(sums.means(), dtype=np.float64)
    std = np.asarray(sums.stds(), dtype=np.float64)
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)
