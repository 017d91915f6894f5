"""Datasets for the Dataset node: built-in, the user's own files, synthetic.

`describe(params)` is cheap and never imports torch; `load_dataset(params, seed)` reads
the data and returns torch tensors split for training and validation.
"""

from engine.data.describe import DATASET_DESCRIPTIONS, DATASETS, DEFAULT_PARAMS, describe
from engine.data.info import TASKS, DataError, DatasetInfo
from engine.data.load import LoadedData, load_dataset
from engine.data.synthetic import RingGeometry, ring_geometry

__all__ = [
    "DATASETS",
    "DATASET_DESCRIPTIONS",
    "DEFAULT_PARAMS",
    "TASKS",
    "DataError",
    "DatasetInfo",
    "LoadedData",
    "RingGeometry",
    "describe",
    "load_dataset",
    "ring_geometry",
]
