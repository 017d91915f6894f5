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

MAX_INTEGER_ROWS = 1 << 29  # float32 mantissas (< 2^24) sum exactly in float64 up to this many at once
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
        """Rows [n, width] of finite float32 (summed exactly as integers, fast) or float64 (math.fsum)."""
        rows = np.asarray(rows)
        self.count += len(rows)
        for index in range(rows.shape[1]):
            column = rows[:, index]
            if column.dtype == np.float32 and len(column) < MAX_INTEGER_ROWS:
                total, squares = _float32_sums(column, self.squares is not None)
            else:
                column = column.astype(np.float64)
                total = sum(map(Fraction, exact_terms(column)), Fraction(0))
                squares = (
                    None if self.squares is None else sum(map(Fraction, exact_terms(column * column)), Fraction(0))
                )
            self.sums[index] += total
            if self.squares is not None:
                self.squares[index] += squares

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


def _float32_sums(column: np.ndarray, squares: bool) -> tuple[Fraction, Fraction | None]:
    """The exact sum (and sum of squares) of float32 values: each is an integer mantissa m (|m| < 2^24) times a power
    of two; the mantissas (and the two 24-bit halves of m^2) are summed per exponent, exactly in float64 below
    MAX_INTEGER_ROWS values, and the per-exponent totals added as Python integers."""
    mantissa, exponent = np.frexp(column)
    m = (mantissa.astype(np.float64) * 2.0**24).astype(np.int64)
    low = int(exponent.min()) if len(column) else 0
    bins = (exponent - low).astype(np.int64)
    total = _dyadic(np.bincount(bins, weights=m.astype(np.float64)), 1, low - 24)
    if not squares:
        return total, None
    m2 = m * m  # < 2^48: split in halves so each half's sums stay exact in float64
    high_half, low_half = m2 >> 24, m2 & ((1 << 24) - 1)
    by_high = np.bincount(bins, weights=high_half.astype(np.float64))
    by_low = np.bincount(bins, weights=low_half.astype(np.float64))
    return total, _dyadic(by_high, 2, 2 * low - 48 + 24) + _dyadic(by_low, 2, 2 * low - 48)


def _dyadic(per_bin: np.ndarray, step: int, base: int) -> Fraction:
    """sum over k of per_bin[k] * 2^(step*k + base), exactly (per_bin holds whole numbers)."""
    number = sum(int(value) << (step * k) for k, value in enumerate(per_bin.tolist()) if value)
    return Fraction(number * 2**base) if base >= 0 else Fraction(number, 2**-base)


def exact_mean(values: np.ndarray) -> float:
    """The mean of `values`, rounded once from their exact sum."""
    sums = ExactSums(1)
    sums.add(np.asarray(values).reshape(-1, 1))
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
