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

from engine.data.classic_sets import read_classic_part, test_files_problem
from engine.data.describe import source_of, with_defaults
from engine.data.files import os_error_message
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.streaming import LazyImages
from engine.data.streaming_split import StreamedImages
from engine.data.subset import subset_raw
from engine.data.table_stats import exact_feature_stats
from engine.data.table_stream import LazyTable
from engine.data.table_stream_split import StreamedTable

if TYPE_CHECKING:
    import torch

TEST_SEED_OFFSET = 7919  # the test split's own random stream: changing val_split never moves test samples


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
    # the test set: scored once, after training (empty [0, ...] tensors when the Dataset node has none)
    test_x: torch.Tensor | None = None
    test_y: torch.Tensor | None = None
    test_source: str = "none"  # none, held_out (a share of the samples) or test_files (the publisher's)
    skipped: tuple[str, ...] = ()  # unreadable files left out of the data, one line each
    # a table's preprocessing as JSON (engine/data/table_prep.py): fitted on the training rows, for new rows
    preprocessing: dict[str, Any] | None = None
    table_notes: tuple[str, ...] = ()  # a table's gaps filled, rows dropped, constant columns: one line each


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
    test_source = params["test_set"]
    test = raw.x[:0], raw.y[:0]
    kept = np.arange(len(raw.y))
    if test_source == "held_out":
        # the test share first, then validation from the rest: val_split stays a share of all samples
        test_split = float(params["test_split"])
        if test_split + val_split >= 1:
            raise DataError(f"val_split {val_split} and test_split {test_split} leave no samples to train on")
        kept, test_idx, _ = split_indices(raw.y, test_split, seed + TEST_SEED_OFFSET, stratify)
        test = raw.x[test_idx], raw.y[test_idx]
        val_split = val_split / (1 - test_split)
    elif test_source == "test_files":
        test_raw = subset_raw(read_test_files(params), params["classes"])
        test = test_raw.x, test_raw.y
    train_idx, val_idx, stratified = split_indices(raw.y[kept], val_split, seed, stratify)
    train_idx, val_idx = kept[train_idx], kept[val_idx]
    train_x, val_x, test_x = raw.x[train_idx], raw.x[val_idx], test[0]
    if raw.table is not None:  # a table's fills and known categories come from the training rows only
        fitted = raw.table.fit(train_x)
        train_x, val_x, test_x = (raw.table.encode(fitted, part) for part in (train_x, val_x, test_x))
    mean = std = None
    if isinstance(train_x, LazyTable):  # a streamed table: statistics from a pass over its training rows
        if raw.standardize:
            mean, std = train_x.feature_stats()
            train_x, val_x, test_x = (p.with_transform(mean=mean, std=std) for p in (train_x, val_x, test_x))
    elif raw.standardize:
        # a table's statistics from exact sums, as a streamed table's are (the same preprocessing.json)
        mean, std = (exact_feature_stats if raw.table is not None else feature_stats)(train_x)
        train_x, val_x, test_x = (train_x - mean) / std, (val_x - mean) / std, (test_x - mean) / std
    # what prepares new raw rows the same way: saved with the run, carried by the exports
    preprocessing = (
        None
        if raw.table is None
        else raw.table.preprocessing_json(fitted, len(train_x), mean, std, raw.info.class_names)
    )
    identity = {"dataset": params["dataset"], "val_split": float(params["val_split"]), "seed": seed, **raw.identity}
    if test_source != "none":
        identity.update(test_set=test_source, test_split=float(params["test_split"]), test_samples=len(test_x))

    def tensor(array: np.ndarray) -> torch.Tensor:
        if isinstance(array, LazyImages):  # a streamed image folder: decoded batch by batch while training
            return StreamedImages(array)  # type: ignore[return-value]
        if isinstance(array, LazyTable):  # a streamed table: read and encoded chunk by chunk while training
            return StreamedTable(array)  # type: ignore[return-value]
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
        test_x=tensor(test_x.astype(x_type)),
        test_y=tensor(test[1]),
        test_source=test_source,
        skipped=raw.skipped,
        preprocessing=preprocessing,
        table_notes=() if raw.table is None else (*raw.table.report_lines(), *raw.table.warnings),
    )


def read_test_files(params: dict[str, Any]) -> RawDataset:
    """The publisher's test files of a classic image set; DataError for any other dataset."""
    if problem := test_files_problem(params):
        raise DataError(problem)
    return read_classic_part(params, "test")


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
        if isinstance(array, (LazyImages, LazyTable)):  # the files' names, sizes and times stand for their data
            digest.update(array.digest())
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()
