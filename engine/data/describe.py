"""Describe a dataset from the Dataset node's parameters, cheaply (no torch).

Every dataset has a source: a `describe` that reads as little as it can (built-in shapes
come from a table; user files are read once per change) and a `read` that returns the
arrays. This module holds the table of sources, so describe and load_dataset agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.data.builtin import describe_builtin, read_builtin
from engine.data.classic_sets import CLASSIC_DESCRIPTIONS, CLASSIC_SETS, describe_classic, read_classic
from engine.data.csv_file import describe_csv, read_csv, read_csv_for_preview
from engine.data.files import os_error_message
from engine.data.image_folder import describe_image_folder
from engine.data.info import BUILTIN_INFO, DataError, DatasetInfo, RawDataset
from engine.data.npz_file import describe_npz, read_npz
from engine.data.planar import PLANAR_DATASETS, describe_planar, read_planar
from engine.data.recall import describe_first_token, read_first_token
from engine.data.streaming import read_image_folder_for_preview, read_image_folder_source
from engine.data.subset import subset_info
from engine.data.synthetic import describe_synthetic, read_synthetic
from engine.data.tokens import describe_tokens, read_tokens


@dataclass(frozen=True)
class Source:
    describe: Callable[[dict[str, Any]], DatasetInfo]
    read: Callable[[dict[str, Any], int], RawDataset]
    # the data preview's read, where it differs: a table shows its gaps before the user chose how to fill them
    preview_read: Callable[[dict[str, Any], int], RawDataset] | None = None


_BUILTIN = Source(describe_builtin, read_builtin)
_SYNTHETIC = Source(describe_synthetic, read_synthetic)

SOURCES: dict[str, Source] = {
    **{name: _BUILTIN for name in BUILTIN_INFO},
    "sine_wave": _SYNTHETIC,
    "gaussian_ring": _SYNTHETIC,
    "line_outliers": _SYNTHETIC,
    "first_token": Source(describe_first_token, read_first_token),
    **{name: Source(describe_planar, read_planar) for name in PLANAR_DATASETS},
    "csv": Source(describe_csv, read_csv, preview_read=read_csv_for_preview),
    "image_folder": Source(describe_image_folder, read_image_folder_source, preview_read=read_image_folder_for_preview),
    "npz": Source(describe_npz, read_npz),
    **{name: Source(describe_classic, read_classic) for name in CLASSIC_SETS},
    "keyword_tokens": Source(describe_tokens, read_tokens),
}

DATASETS = tuple(SOURCES)

# One line per dataset, for the Dataset node's chooser.
DATASET_DESCRIPTIONS: dict[str, str] = {
    "digits_images": "8x8 handwritten digits 0-9 as 1-channel images [1, 8, 8], for convolutions (1,797 samples).",
    "digits_flat": "8x8 handwritten digits 0-9 as 64 values in a row, for Linear layers (1,797 samples).",
    "digits_sequence": "8x8 handwritten digits 0-9 read as 8 time steps of 8 pixels, for RNN/LSTM/GRU.",
    "iris": "150 iris flowers: 4 measurements, 3 species to classify.",
    "wine": "178 wines: 13 chemical measurements, 3 cultivars to classify.",
    "breast_cancer": "569 tumour samples: 30 measurements, benign or malignant.",
    "diabetes": "442 patients: 10 measurements, a disease-progression number to predict (regression).",
    "sine_wave": "Synthetic: windows of a noisy sine wave; predict its next value (regression).",
    "gaussian_ring": "Synthetic: 2-D points from 8 Gaussian blobs on a ring, the classic GAN test.",
    "line_outliers": "Synthetic: points on the line y = 2x + 1 with noise, one in ten an outlier far above it.",
    "first_token": "Synthetic sequences: name the first of sequence_length tokens, the rest distractors (memory).",
    "moons": "Synthetic 2-D: two interleaving half circles, 2 classes (decision boundaries).",
    "circles": "Synthetic 2-D: a circle inside a circle, 2 classes; no straight line separates them.",
    "spiral": "Synthetic 2-D: three spiral arms, 3 classes; needs several layers to untangle.",
    "xor": "Synthetic 2-D: class by the signs of x and y (XOR), 2 classes; not linearly separable.",
    "blobs": "Synthetic 2-D: three Gaussian blobs, 3 classes; separable by straight lines.",
    "csv": "Your table (CSV, TSV or Parquet): number, text and true/false columns as features, one target column.",
    "image_folder": "Your images: one subfolder per class, resized to image_size.",
    "npz": "Your NumPy .npz file with arrays x and y.",
    **CLASSIC_DESCRIPTIONS,
    "keyword_tokens": "Synthetic text: sentences of 12 token ids (vocabulary 16), 4 classes by keyword (Embedding).",
}

# The Dataset node's parameter defaults; the node declares its params with these.
DEFAULT_PARAMS: dict[str, Any] = {
    "dataset": "digits_flat",
    "path": "",
    "target_column": "",
    "task": "auto",
    "columns": "",  # tables: per-column settings, e.g. "id: exclude; city: embed; age: median" (table_columns.py)
    "categorical": "onehot",  # tables: how text columns are encoded unless `columns` says otherwise
    "missing": "refuse",  # tables: how gaps are handled unless `columns` says otherwise (refuse: an error)
    "image_size": 28,
    "color": "grayscale",
    "num_samples": 2000,
    "sequence_length": 32,
    "noise": 0.1,
    "classes": [],
    "val_split": 0.2,
    "test_set": "none",
    "test_split": 0.1,
    "augment_flip": False,
    "augment_crop": 0,
    "augment_rotation": 0.0,
    "augment_noise": 0.0,
    "augment_jitter": 0.0,
    "shuffle": True,
    "streaming": "auto",  # image folders: decode batch by batch (engine/data/streaming.py) or all at once
    "stream_workers": 0,  # DataLoader worker processes that decode streamed batches (0: one per core but one)
}


# image augmentation (engine/training/augmentation.py applies them to training batches)
AUGMENT_PARAMS = ("augment_flip", "augment_crop", "augment_rotation", "augment_noise", "augment_jitter")


def with_defaults(params: dict[str, Any]) -> dict[str, Any]:
    """The params with defaults filled in for any that are missing."""
    return {**DEFAULT_PARAMS, **params}


def source_of(params: dict[str, Any]) -> Source:
    name = params["dataset"]
    if name not in SOURCES:
        raise DataError(f"unknown dataset {name!r} (available: {', '.join(DATASETS)})")
    return SOURCES[name]


def describe(params: dict[str, Any]) -> DatasetInfo:
    """Shapes, task and class names of the dataset the params select; DataError if unusable."""
    params = with_defaults(params)
    try:
        return subset_info(source_of(params).describe(params), params["classes"])
    except OSError as exc:  # permissions, a file vanishing mid-read
        raise DataError(os_error_message(exc)) from None
