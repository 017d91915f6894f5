"""Keep only some classes of a classification dataset (e.g. digits 5-9 for transfer learning).

The kept classes are relabelled 0..k-1 in the order given, so a model with k outputs fits
any such subset: a head trained on digits 0-4 has the right size for digits 5-9.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.registry.spec import labels


def subset_info(info: DatasetInfo, classes: list[int]) -> DatasetInfo:
    if not classes:
        return info
    if not info.y.is_labels or info.y.num_classes is None:
        raise DataError(f"`classes` keeps some classes of a classification dataset, but this one's task is {info.task}")
    if len(set(classes)) != len(classes):
        raise DataError(f"`classes` lists a class twice: {classes}")
    bad = [c for c in classes if not 0 <= c < info.y.num_classes]
    if bad:
        raise DataError(f"`classes` has {bad}, but the dataset's classes are 0 to {info.y.num_classes - 1}")
    names = tuple(info.class_names[c] for c in classes) if info.class_names else tuple(str(c) for c in classes)
    return replace(info, y=labels(len(classes)), class_names=names, num_samples=None)


def subset_raw(raw: RawDataset, classes: list[int]) -> RawDataset:
    if not classes:
        return raw
    info = subset_info(raw.info, classes)
    keep = np.isin(raw.y, classes)
    relabel = np.zeros(int(raw.y.max()) + 1, dtype=np.int64)
    relabel[classes] = np.arange(len(classes))
    return replace(
        raw,
        x=raw.x[keep],
        y=relabel[raw.y[keep]],
        info=replace(info, num_samples=int(keep.sum())),
        identity={**raw.identity, "classes": list(classes)},
    )
