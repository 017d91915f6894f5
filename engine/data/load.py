"""Load a dataset as torch tensors, split into training and validation sets.

The split is `sklearn.model_selection.train_test_split(np.arange(N), test_size=val_split,
random_state=seed, stratify=labels)`, stratified whenever the targets are class labels
(and falling back to a plain random split when a class is too rare to stratify), so the
same split can be rebuilt outside Netwright. Tabular features (csv and the built-in
tables) are standardized with the mean and standard deviation of the training rows only,
so nothing about the validation rows leaks into training. Targets are never rescaled.

torch and scikit-learn are imported when a dataset is loaded, not when this module is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.describe import source_of, with_defaults
from engine.data.files import os_error_message
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.subset import subset_raw

if TYPE_CHECKING:
    import torch


@dataclass
class LoadedData:
    """A dataset ready to train on; batches are taken by indexing these tensors.

    x tensors are float32 [N, ...]. y tensors are int64 [N] class labels (classification,
    generation) or float32 [N, k] targets (regression, forecasting). With val_split 0 the
    val tensors are empty with the same trailing shape. `feature_mean`/`feature_std` are
    the training statistics used to standardize tabular features (None otherwise); apply
    them to new inputs before calling the trained model. `fingerprint` is a sha256 of
    the source arrays, the settings that shape them, val_split and the seed: equal
    fingerprints mean equal train and val tensors.
    """

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    info: DatasetInfo
    fingerprint: str
    class_names: tuple[str, ...]
    stratified: bool = False
    feature_mean: torch.Tensor | None = None
    feature_std: torch.Tensor | None = None


def load_dataset(params: dict[str, Any], seed: int = 0) -> LoadedData:
    """Read, split and preprocess the dataset the Dataset node's params select."""
    import torch

    params = with_defaults(params)
    try:
        raw = subset_raw(source_of(params).read(params, seed), params["classes"])
    except OSError as exc:
        raise DataError(os_error_message(exc)) from None
    val_split = float(params["val_split"])
    stratify = raw.info.y.is_labels
    train_idx, val_idx, stratified = split_indices(raw.y, val_split, seed, stratify)
    train_x, val_x = raw.x[train_idx], raw.x[val_idx]
    mean = std = None
    if raw.standardize:
        mean, std = feature_stats(train_x)
        train_x, val_x = (train_x - mean) / std, (val_x - mean) / std
    identity = {"dataset": params["dataset"], "val_split": val_split, "seed": seed, **raw.identity}

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array))

    x_type = np.int64 if raw.info.x.is_labels else np.float32  # token ids stay ids (for an Embedding)
    return LoadedData(
        train_x=tensor(train_x.astype(x_type)),
        train_y=tensor(raw.y[train_idx]),
        val_x=tensor(val_x.astype(x_type)),
        val_y=tensor(raw.y[val_idx]),
        info=raw.info,
        fingerprint=fingerprint(raw, identity),
        class_names=raw.info.class_names,
        stratified=stratified,
        feature_mean=None if mean is None else tensor(mean),
        feature_std=None if std is None else tensor(std),
    )


def split_indices(y: np.ndarray, val_split: float, seed: int, stratify: bool):
    """(train indices, val indices, whether the split was stratified)."""
    n = len(y)
    indices = np.arange(n)
    if val_split <= 0:
        return indices, indices[:0], False
    from sklearn.model_selection import train_test_split

    if stratify:
        try:
            train, val = train_test_split(indices, test_size=val_split, random_state=seed, stratify=y)
            return train, val, True
        except ValueError:
            pass  # a class with a single sample, or fewer val samples than classes
    train, val = train_test_split(indices, test_size=val_split, random_state=seed)
    return train, val, False


def feature_stats(train_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation of the training rows (1 for constant features)."""
    mean = train_x.mean(axis=0, dtype=np.float64)
    std = train_x.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def fingerprint(raw: RawDataset, identity: dict[str, Any]) -> str:
    """sha256 hex of the source arrays and the settings that define the split."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    for array in (raw.x, raw.y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()
