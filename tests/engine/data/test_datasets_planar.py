"""The 2-D datasets for decision boundaries: seeded, balanced, and shaped as their names say."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import describe, load_dataset
from engine.data.planar import PLANAR_CLASSES, PLANAR_DATASETS, planar_points


@pytest.mark.parametrize("name", PLANAR_DATASETS)
def test_each_is_two_features_in_balanced_classes_and_repeatable_by_seed(name):
    info = describe({"dataset": name})
    assert info.x.dims == (2,) and info.task == "classification"
    assert info.class_names == PLANAR_CLASSES[name]
    x, y = planar_points(name, 300, 0.1, seed=7)
    assert x.shape == (300, 2) and x.dtype == np.float32 and y.dtype == np.int64
    counts = np.bincount(y, minlength=len(info.class_names))
    assert counts.max() - counts.min() <= 0.2 * counts.mean()  # xor's quadrants vary a little
    again, _ = planar_points(name, 300, 0.1, seed=7)
    other, _ = planar_points(name, 300, 0.1, seed=8)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)


def test_shapes_without_noise():
    x, y = planar_points("circles", 400, 0.0, seed=0)
    radius = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(radius[y == 1], 0.5, atol=1e-5)
    x, y = planar_points("xor", 400, 0.0, seed=0)
    np.testing.assert_array_equal(y, (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64))
    x, y = planar_points("spiral", 300, 0.0, seed=0)
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-6
    x, y = planar_points("blobs", 300, 0.0, seed=0)
    assert len({tuple(np.round(p, 4)) for p in x}) == 3  # noise 0: every point sits on its centre


def test_noise_spreads_points_and_the_split_is_stratified():
    tight, _ = planar_points("blobs", 600, 0.05, seed=1)
    loose, _ = planar_points("blobs", 600, 0.5, seed=1)
    assert loose.std() > tight.std()
    data = load_dataset({"dataset": "spiral", "num_samples": 300, "val_split": 0.2}, seed=3)
    assert data.train_x.shape == (240, 2) and data.feature_mean is None  # not standardized
    assert data.val_y.bincount().tolist() == [20, 20, 20]
