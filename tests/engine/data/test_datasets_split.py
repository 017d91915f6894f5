"""Splitting, standardization and fingerprints of load_dataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from engine.data import load_dataset
from engine.data.load import split_indices


@pytest.mark.parametrize("val_split", [0.1, 0.2, 0.5])
def test_split_sizes_follow_val_split(val_split):
    data = load_dataset({"dataset": "wine", "val_split": val_split}, seed=0)
    assert len(data.val_x) == len(data.val_y) == int(np.ceil(178 * val_split))
    assert len(data.train_x) + len(data.val_x) == 178


def test_classification_split_is_stratified():
    data = load_dataset({"dataset": "iris", "val_split": 0.2}, seed=5)
    assert data.stratified
    assert torch.bincount(data.val_y).tolist() == [10, 10, 10]
    assert torch.bincount(data.train_y).tolist() == [40, 40, 40]


def test_val_split_zero_gives_empty_val_tensors_with_the_trailing_shape():
    data = load_dataset({"dataset": "digits_images", "val_split": 0.0}, seed=0)
    assert data.val_x.shape == (0, 1, 8, 8) and data.val_x.dtype == torch.float32
    assert data.val_y.shape == (0,) and data.val_y.dtype == torch.int64
    assert len(data.train_x) == 1797
    regression = load_dataset({"dataset": "diabetes", "val_split": 0.0}, seed=0)
    assert regression.val_y.shape == (0, 1)


def test_same_seed_same_data_other_seed_other_split():
    a = load_dataset({"dataset": "breast_cancer"}, seed=11)
    b = load_dataset({"dataset": "breast_cancer"}, seed=11)
    c = load_dataset({"dataset": "breast_cancer"}, seed=12)
    for name in ("train_x", "train_y", "val_x", "val_y"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    assert c.fingerprint != a.fingerprint
    assert not torch.equal(a.val_y, c.val_y) or not torch.equal(a.val_x, c.val_x)


def test_fingerprint_changes_with_settings_that_change_the_tensors():
    base = load_dataset({"dataset": "iris", "val_split": 0.2}, seed=0).fingerprint
    assert load_dataset({"dataset": "iris", "val_split": 0.3}, seed=0).fingerprint != base
    assert load_dataset({"dataset": "wine", "val_split": 0.2}, seed=0).fingerprint != base
    # shuffling happens per epoch while training, not here
    assert load_dataset({"dataset": "iris", "val_split": 0.2, "shuffle": False}, seed=0).fingerprint == base


def test_standardization_uses_training_statistics_only():
    data = load_dataset({"dataset": "wine", "val_split": 0.3}, seed=2)
    train = data.train_x.double()
    assert torch.allclose(train.mean(0), torch.zeros(13, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(train.std(0, unbiased=False), torch.ones(13, dtype=torch.float64), atol=1e-4)
    # validation rows are transformed with the same (train) statistics, so they are not exactly
    # centred; undoing the transform gives back the raw values
    assert not torch.allclose(data.val_x.mean(0), torch.zeros(13), atol=1e-3)
    x, y = load_wine(return_X_y=True)
    train_idx, val_idx = train_test_split(np.arange(len(y)), test_size=0.3, random_state=2, stratify=y)
    assert np.allclose(data.feature_mean.numpy(), x[train_idx].mean(0), rtol=1e-5)
    assert np.allclose(data.feature_std.numpy(), x[train_idx].std(0), rtol=1e-5)
    restored = data.val_x * data.feature_std + data.feature_mean
    assert np.allclose(restored.numpy(), x[val_idx], rtol=1e-4, atol=1e-4)


def test_too_rare_classes_fall_back_to_a_plain_split():
    y = np.array([0] * 9 + [1])  # class 1 has a single sample: cannot stratify
    train, val, stratified = split_indices(y, 0.2, seed=0, stratify=True)
    assert not stratified
    assert sorted([*train, *val]) == list(range(10)) and len(val) == 2
