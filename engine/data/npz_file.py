"""The user's .npz file: an array `x` of features and an array `y` of targets.

describe reads the array headers inside the zip (shapes and dtypes, no data) and, for
integer targets, the `y` array to count classes; read loads both. Arrays are used as
given (converted to float32): scale them yourself before saving.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import ReadCache, stat_key, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.registry.spec import floats, labels

_CACHE = ReadCache()
_SAVE_HINT = "save one with numpy.savez(path, x=features, y=targets)"


def describe_npz(params: dict[str, Any]) -> DatasetInfo:
    path = user_path(params, "file")
    return _CACHE.get((stat_key(path), params["task"]), lambda: _describe(path, params["task"]))


def read_npz(params: dict[str, Any], seed: int) -> RawDataset:
    path = user_path(params, "file")
    info = describe_npz(params)
    with np.load(path, allow_pickle=False) as arrays:
        x = np.asarray(arrays["x"], dtype=np.float32)
        y = arrays["y"]
    x = x.reshape(len(x), *info.x.dims)
    y = y.astype(np.int64).reshape(-1) if info.task == "classification" else y.astype(np.float32).reshape(len(y), -1)
    return RawDataset(x, y, info, identity={"task": info.task})


def _describe(path: Path, task: str) -> DatasetInfo:
    name = path.name
    headers = _headers(path)
    for key in ("x", "y"):
        if key not in headers:
            found = ", ".join(sorted(headers)) or "no arrays"
            raise DataError(f"'{name}' has no array '{key}' (found: {found}); {_SAVE_HINT}")
    (x_shape, x_dtype), (y_shape, y_dtype) = headers["x"], headers["y"]
    for key, shape, dtype in (("x", x_shape, x_dtype), ("y", y_shape, y_dtype)):
        if dtype.kind not in "biuf":
            raise DataError(f"'{name}' array '{key}' holds {dtype} values; it must hold numbers")
        if not shape or shape[0] == 0:
            raise DataError(f"'{name}' array '{key}' has shape {list(shape)}; it needs one row per sample")
    if x_shape[0] != y_shape[0]:
        raise DataError(
            f"'{name}' has {x_shape[0]} samples in x but {y_shape[0]} in y; they must have one row per sample each"
        )
    if len(y_shape) > 2:
        raise DataError(f"'{name}' array 'y' has shape {list(y_shape)}; expected [N] labels or [N, k] targets")
    x_spec = floats(*(x_shape[1:] or (1,)))
    integer = y_dtype.kind in "biu"
    if task == "regression" or (task == "auto" and not integer):
        return DatasetInfo(x_spec, floats(*(y_shape[1:] or (1,))), "regression", (), x_shape[0])
    with np.load(path, allow_pickle=False) as arrays:
        y = arrays["y"]
    if y.ndim != 1 and not (y.ndim == 2 and y.shape[1] == 1):
        raise DataError(f"'{name}' class labels 'y' have shape {list(y.shape)}; expected [N]")
    if not integer and not np.all(y == np.round(y)):
        raise DataError(
            f"'{name}' array 'y' holds fractions; classification needs whole-number labels, or set task to regression"
        )
    if y.min() < 0:
        raise DataError(f"'{name}' array 'y' has the label {int(y.min())}; labels run from 0 to classes-1")
    num_classes = int(y.max()) + 1
    names = tuple(str(i) for i in range(num_classes))
    return DatasetInfo(x_spec, labels(num_classes), "classification", names, x_shape[0])


def _headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Array name -> (shape, dtype), read from the .npy headers without loading the data."""
    try:
        with zipfile.ZipFile(path) as archive:
            out = {}
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
                out[member[: -len(".npy")]] = (tuple(shape), dtype)
            return out
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DataError(f"'{path.name}' is not a readable .npz file; {_SAVE_HINT}") from None
