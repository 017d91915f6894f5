"""Built-in datasets from scikit-learn's bundled copies (no download).

digits: 8x8 grayscale images of handwritten digits, pixel values 0..16 scaled to [0, 1],
in three views: images [1, 8, 8], flat [64], sequence [8, 8] (8 time steps, one image row
each). iris, wine, breast_cancer: tabular classification. diabetes: tabular regression on
the raw features; the target (disease progression one year later, about 25..346) is kept
in its original units, so the mean squared error reads in those units and matches what
scikit-learn's LinearRegression reports on the same split. Tabular features are
standardized later, with training statistics only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.info import BUILTIN_INFO, DatasetInfo, RawDataset

DIGITS_VIEWS = {"digits_images": (1, 8, 8), "digits_flat": (64,), "digits_sequence": (8, 8)}


def describe_builtin(params: dict[str, Any]) -> DatasetInfo:
    return BUILTIN_INFO[params["dataset"]]


def read_builtin(params: dict[str, Any], seed: int) -> RawDataset:
    from sklearn import datasets

    name = params["dataset"]
    info = BUILTIN_INFO[name]
    if name in DIGITS_VIEWS:
        bunch = datasets.load_digits()
        x = (bunch.data / 16.0).reshape(-1, *DIGITS_VIEWS[name])
        return RawDataset(x.astype(np.float32), bunch.target.astype(np.int64), info)
    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
        y = bunch.target.astype(np.float32).reshape(-1, 1)
        return RawDataset(bunch.data.astype(np.float32), y, info, standardize=True, feature_names=_names(bunch))
    bunch = {"iris": datasets.load_iris, "wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer}[
        name
    ]()
    x = bunch.data.astype(np.float32)
    return RawDataset(x, bunch.target.astype(np.int64), info, standardize=True, feature_names=_names(bunch))


def _names(bunch) -> tuple[str, ...]:
    return tuple(str(name) for name in getattr(bunch, "feature_names", ()))
