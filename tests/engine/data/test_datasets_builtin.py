"""Built-in datasets: shapes agree with describe(), values are scaled as documented."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import datasets
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from engine.data import describe, load_dataset
from engine.data.info import BUILTIN_INFO


@pytest.mark.parametrize("name", sorted(BUILTIN_INFO))
def test_builtin_loads_with_the_described_shapes(name):
    info = describe({"dataset": name})
    data = load_dataset({"dataset": name}, seed=0)
    n = len(data.train_x) + len(data.val_x)
    assert n == info.num_samples
    assert tuple(data.train_x.shape[1:]) == info.x.dims == tuple(data.val_x.shape[1:])
    assert data.train_x.dtype.is_floating_point and data.train_x.dtype.itemsize == 4
    if info.y.is_labels:
        assert data.train_y.dtype == data.val_y.dtype == torch.int64
        assert data.train_y.ndim == 1
        assert int(data.train_y.max()) == info.y.num_classes - 1
        assert len(data.class_names) == info.y.num_classes
    else:
        assert tuple(data.train_y.shape[1:]) == info.y.dims == (1,)
    assert data.info == info


def test_class_names_match_scikit_learn():
    for name, loader in (
        ("iris", datasets.load_iris),
        ("wine", datasets.load_wine),
        ("breast_cancer", datasets.load_breast_cancer),
    ):
        assert describe({"dataset": name}).class_names == tuple(loader().target_names)


def test_digits_views_hold_the_same_pixels_scaled_to_unit_range():
    views = {
        name: load_dataset({"dataset": name, "val_split": 0.0}, seed=3)
        for name in ("digits_images", "digits_flat", "digits_sequence")
    }
    flat = views["digits_flat"].train_x
    assert float(flat.min()) == 0.0 and float(flat.max()) == 1.0
    assert np.allclose(flat.numpy(), datasets.load_digits().data / 16.0)
    assert (views["digits_images"].train_x[:, 0] == flat.reshape(-1, 8, 8)).all()
    # a sequence step is one image row
    assert (views["digits_sequence"].train_x[:, 2] == flat[:, 16:24]).all()


def test_diabetes_mse_reproduces_scikit_learn_linear_regression_on_the_same_split():
    seed, val_split = 7, 0.25
    data = load_dataset({"dataset": "diabetes", "val_split": val_split}, seed=seed)
    ours = LinearRegression().fit(data.train_x.numpy(), data.train_y.numpy())
    our_mse = float(np.mean((ours.predict(data.val_x.numpy()) - data.val_y.numpy()) ** 2))

    x, y = datasets.load_diabetes(scaled=False, return_X_y=True)
    train, val = train_test_split(np.arange(len(y)), test_size=val_split, random_state=seed)
    theirs = LinearRegression().fit(x[train], y[train])
    their_mse = float(np.mean((theirs.predict(x[val]) - y[val]) ** 2))
    assert our_mse == pytest.approx(their_mse, rel=1e-3)
    # the target is kept in its original units
    assert np.allclose(np.sort(data.val_y.numpy().ravel()), np.sort(y[val]))
