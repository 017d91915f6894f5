"""What a dataset provides, known without loading it: shapes, task, class names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.registry.spec import TensorSpec, floats, labels

if TYPE_CHECKING:
    import numpy as np

TASKS = ("classification", "regression", "forecasting", "generation")


class DataError(Exception):
    """Bad or missing data; the message is one readable line naming the file or setting."""


@dataclass(frozen=True)
class DatasetInfo:
    x: TensorSpec
    y: TensorSpec
    task: str  # one of TASKS
    class_names: tuple[str, ...] = ()
    num_samples: int | None = None


@dataclass
class RawDataset:
    """A dataset's arrays as its source reads them, before splitting (numpy, no torch).

    `x` is float32 [N, ...]; `y` is int64 [N] for labels or float32 [N, k] for targets.
    `standardize` marks tabular features, standardized later with training statistics.
    `identity` holds what besides the arrays defines the data (class names, settings);
    it goes into the fingerprint.
    """

    x: np.ndarray
    y: np.ndarray
    info: DatasetInfo
    standardize: bool = False
    identity: dict = field(default_factory=dict)
    feature_names: tuple[str, ...] = ()  # a table's column names (the data preview shows them)
    skipped: tuple[str, ...] = ()  # why each unreadable file was left out (one line each, naming the file)
    # a table's TablePlan (engine/data/table_prep.py): `x` then holds its coded columns, which
    # load_dataset encodes with what the plan fits on the training rows only
    table: Any = None


# Built-in datasets have fixed shapes: describing them loads nothing.
BUILTIN_INFO: dict[str, DatasetInfo] = {
    "digits_images": DatasetInfo(floats(1, 8, 8), labels(10), "classification", tuple("0123456789"), 1797),
    "digits_flat": DatasetInfo(floats(64), labels(10), "classification", tuple("0123456789"), 1797),
    "digits_sequence": DatasetInfo(floats(8, 8), labels(10), "classification", tuple("0123456789"), 1797),
    "iris": DatasetInfo(floats(4), labels(3), "classification", ("setosa", "versicolor", "virginica"), 150),
    "wine": DatasetInfo(floats(13), labels(3), "classification", ("class_0", "class_1", "class_2"), 178),
    "breast_cancer": DatasetInfo(floats(30), labels(2), "classification", ("malignant", "benign"), 569),
    "diabetes": DatasetInfo(floats(10), floats(1), "regression", (), 442),
}
