"""line_outliers: a line with one outlier in ten, for the losses lesson (MSE against Huber)."""

from __future__ import annotations

import numpy as np

from engine.data import describe, load_dataset
from engine.data.describe import DEFAULT_PARAMS


def params(**overrides):
    return {**DEFAULT_PARAMS, "dataset": "line_outliers", "num_samples": 2000, "noise": 0.3, **overrides}


def test_points_lie_on_the_line_but_one_in_ten_far_above_it():
    info = describe(params())
    assert (info.x.dims, info.y.dims, info.task) == ((1,), (1,), "regression")
    data = load_dataset(params(val_split=0.0), seed=0)
    x, y = data.train_x.numpy()[:, 0], data.train_y.numpy()[:, 0]
    assert x.min() >= -2 and x.max() <= 2  # kept in its own units, not standardized
    above = y - (2 * x + 1)
    outliers = above > 5
    assert 0.07 < outliers.mean() < 0.13
    assert np.abs(above[~outliers]).std() < 0.4 and above[outliers].min() > 8


def test_the_same_seed_gives_the_same_points_and_another_seed_others():
    a, b = load_dataset(params(), seed=0), load_dataset(params(), seed=0)
    assert np.array_equal(a.train_y.numpy(), b.train_y.numpy())
    assert not np.array_equal(a.train_y.numpy(), load_dataset(params(), seed=1).train_y.numpy())
