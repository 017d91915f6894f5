"""Datasets for the Dataset node: built-in, the user's own files, synthetic."""

from engine.data.describe import DATASETS, describe
from engine.data.info import DataError, DatasetInfo

__all__ = ["DATASETS", "DataError", "DatasetInfo", "describe"]
