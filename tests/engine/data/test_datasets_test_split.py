"""The test set: held out before the validation split, or the publisher's own test files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.analysis import analyze
from engine.data import DataError, load_dataset
from tests.engine.conftest import make_mlp
from tests.engine.data.test_datasets_classic_sets import mnist_folder


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x}


def test_no_test_set_leaves_the_split_as_it_was():
    plain = load_dataset({"dataset": "iris", "val_split": 0.2}, seed=1)
    none = load_dataset({"dataset": "iris", "val_split": 0.2, "test_set": "none"}, seed=1)
    assert torch.equal(plain.train_x, none.train_x) and torch.equal(plain.val_x, none.val_x)
    assert len(none.test_x) == 0 and none.test_x.shape[1:] == none.train_x.shape[1:]


def test_held_out_samples_are_disjoint_stratified_and_shares_of_all_samples():
    data = load_dataset({"dataset": "digits_flat", "val_split": 0.2, "test_set": "held_out", "test_split": 0.1}, 0)
    total = len(data.train_x) + len(data.val_x) + len(data.test_x)
    assert total == 1797
    assert len(data.test_x) == pytest.approx(0.1 * total, abs=1)
    assert len(data.val_x) == pytest.approx(0.2 * total, abs=2)
    # raw digits rows can repeat, so compare the sample sets' sizes instead of equality alone
    train, val, test = rows(data.train_x), rows(data.val_x), rows(data.test_x)
    assert not (test & val) and len(test & train) <= 2
    counts = np.bincount(data.test_y.numpy(), minlength=10)
    assert counts.min() >= 17 and counts.max() <= 19  # stratified: ~18 of each digit


def test_the_test_samples_do_not_move_when_val_split_changes():
    a = load_dataset({"dataset": "wine", "val_split": 0.1, "test_set": "held_out", "test_split": 0.2}, 4)
    b = load_dataset({"dataset": "wine", "val_split": 0.3, "test_set": "held_out", "test_split": 0.2}, 4)

    # standardized with each split's own training statistics: compare the rows as read
    def raw_rows(data):
        return {tuple(np.round(row, 3)) for row in (data.test_x * data.feature_std + data.feature_mean).numpy()}

    assert raw_rows(a) == raw_rows(b) and a.fingerprint != b.fingerprint


def test_tables_standardize_test_rows_with_training_statistics():
    data = load_dataset({"dataset": "wine", "test_set": "held_out", "test_split": 0.2}, 0)
    expected = (data.test_x * data.feature_std + data.feature_mean).numpy()
    from sklearn.datasets import load_wine

    raw = load_wine().data.astype(np.float32)
    assert all(np.isclose(raw, row, atol=1e-3).all(axis=1).any() for row in expected)


def test_test_files_are_the_publishers(tmp_path):
    parts = mnist_folder(tmp_path, train=40, test=10)
    data = load_dataset({"dataset": "mnist", "path": str(tmp_path), "test_set": "test_files"}, 0)
    assert len(data.train_x) + len(data.val_x) == 40 and len(data.test_x) == 10
    np.testing.assert_array_equal(data.test_x[:, 0].numpy(), parts["t10k"][0] / np.float32(255))
    np.testing.assert_array_equal(data.test_y.numpy(), parts["t10k"][1])


def test_test_files_for_a_dataset_without_them_is_a_problem_on_the_node():
    with pytest.raises(DataError, match="has no test files"):
        load_dataset({"dataset": "iris", "test_set": "test_files"}, 0)
    graph = make_mlp()
    graph.nodes["data"].params["test_set"] = "test_files"
    problems = [p for p in analyze(graph).problems if p.node_id == "data"]
    assert problems and "choose held_out" in problems[0].message


def test_shares_that_leave_nothing_to_train_on_are_refused():
    with pytest.raises(DataError, match="leave no samples to train on"):
        load_dataset({"dataset": "iris", "val_split": 0.6, "test_set": "held_out", "test_split": 0.45}, 0)
