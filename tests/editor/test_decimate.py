"""Min-max decimation of long live curves: the drawn envelope is the data's, the newest points are exact."""

from __future__ import annotations

import numpy as np

from editor.training.decimate import bin_size, decimate


def noisy(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.arange(1, n + 1) / 45  # batches in epochs
    return x, 2.3 * np.exp(-x / 40) + 0.3 * rng.random(n)


def test_a_short_curve_is_drawn_whole():
    x, y = noisy(500)
    assert bin_size(500, pixels=300) == 1
    out_x, out_y = decimate(x, y, 1)
    assert out_x is x and out_y is y


def test_a_long_curve_shrinks_to_the_plot_width_and_keeps_its_envelope_and_newest_points():
    x, y = noisy(13_503)  # 300 epochs of the digits MLP (45 batches each), plus a few
    k = bin_size(len(x), pixels=280)
    assert k in (16, 32) and k & (k - 1) == 0  # a power of two: bins stay put as the run grows
    out_x, out_y = decimate(x, y, k)
    assert len(out_x) < 2 * 280 * 2 + k  # about two points a pixel column, plus the exact tail
    assert out_y.min() == y.min() and out_y.max() == y.max()  # no spike is lost
    whole = (len(x) - 1) // k * k
    tail = len(x) - whole
    assert 1 <= tail <= k
    np.testing.assert_array_equal(out_x[-tail:], x[-tail:])  # the newest points exactly as they came
    np.testing.assert_array_equal(out_y[-tail:], y[-tail:])
    bins = y[:whole].reshape(-1, k)
    np.testing.assert_array_equal(out_y[: 2 * len(bins) : 2], bins.min(axis=1))
    np.testing.assert_array_equal(out_y[1 : 2 * len(bins) : 2], bins.max(axis=1))
    assert np.all(np.diff(out_x) >= 0)  # drawn left to right


def test_the_newest_point_is_exact_when_the_bins_come_out_even():
    x, y = noisy(64 * 32)
    out_x, out_y = decimate(x, y, 32)
    assert out_x[-1] == x[-1] and out_y[-1] == y[-1]
    assert len(out_x) == 2 * 63 + 32


def test_bins_already_drawn_do_not_change_as_points_arrive():
    x, y = noisy(10_000)
    before = decimate(x[:9_000], y[:9_000], 32)
    after = decimate(x, y, 32)
    done = 2 * ((9_000 - 1) // 32)  # the complete bins of the shorter curve
    np.testing.assert_array_equal(before[1][:done], after[1][:done])


def test_nan_is_skipped_inside_a_bin_and_a_bin_of_nan_stays_nan():
    x = np.arange(64, dtype=float)
    y = np.arange(64, dtype=float)
    y[3] = np.nan
    y[8:16] = np.nan
    out_x, out_y = decimate(x, y, 8)
    assert (out_y[0], out_y[1]) == (0.0, 7.0)
    assert np.isnan(out_y[2]) and np.isnan(out_y[3])
