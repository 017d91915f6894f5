"""Describe a dataset from the Dataset node's parameters, cheaply (no torch)."""

from __future__ import annotations

from typing import Any

from engine.data.info import BUILTIN_INFO, DataError, DatasetInfo

DATASETS = (
    "digits_images",
    "digits_flat",
    "digits_sequence",
    "iris",
    "wine",
    "breast_cancer",
    "diabetes",
    "sine_wave",
    "gaussian_ring",
    "csv",
    "image_folder",
    "npz",
)


def describe(params: dict[str, Any]) -> DatasetInfo:
    """Shapes, task and class names of the dataset the params select; DataError if unusable."""
    name = params["dataset"]
    if name in BUILTIN_INFO:
        return BUILTIN_INFO[name]
    raise DataError(f"dataset {name!r} is not available yet")
