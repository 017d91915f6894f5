"""What a dataset provides, known without loading it: shapes, task, class names."""

from __future__ import annotations

from dataclasses import dataclass

from engine.registry.spec import TensorSpec, floats, labels


class DataError(Exception):
    """Bad or missing data; the message is one readable line naming the file or setting."""


@dataclass(frozen=True)
class DatasetInfo:
    x: TensorSpec
    y: TensorSpec
    task: str  # "classification", "regression", "forecasting" or "generation"
    class_names: tuple[str, ...] = ()
    num_samples: int | None = None


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
