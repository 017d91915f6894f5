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

from engine.data.files import check_size, open_regular, stat_key, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.quoting import names_list
from engine.data.read_cache import ReadCache
from engine.registry.spec import floats, labels

_CACHE = ReadCache()
_SAVE_HINT = "save one with numpy.savez(path, x=features, y=targets)"
# Headers are not trusted: shapes beyond these are refused before any data is read.
MAX_X_DIMS = 4  # per sample: channels, depth, height, width
MAX_CLASSES = 10_000


def describe_npz(params: dict[str, Any]) -> DatasetInfo:
    path = user_path(params, "file")
    return _CACHE.get((stat_key(path), params["task"]), lambda: _describe(path, params["task"]), path.name)


def read_npz(params: dict[str, Any], seed: int) -> RawDataset:
    path = user_path(params, "file")
    info = describe_npz(params)
    x, y = _arrays(path, ("x", "y"))
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf: refused just below
        x = np.asarray(x, dtype=np.float32)
    _check_finite(path.name, "x", x)
    x = x.reshape(len(x), *info.x.dims)
    if info.task == "classification":
        y = y.astype(np.int64).reshape(-1)
    else:
        with np.errstate(over="ignore"):
            y = y.astype(np.float32).reshape(len(y), -1)
        _check_finite(path.name, "y", y)
    return RawDataset(x, y, info, identity={"task": info.task})


def _describe(path: Path, task: str) -> DatasetInfo:
    name = path.name
    headers = _headers(path)
    for key in ("x", "y"):
        if key not in headers:
            found = names_list(sorted(headers)) if headers else "no arrays"
            raise DataError(f"'{name}' has no array '{key}' (found: {found}); {_SAVE_HINT}")
    (x_shape, x_dtype), (y_shape, y_dtype) = headers["x"], headers["y"]
    for key, shape, dtype in (("x", x_shape, x_dtype), ("y", y_shape, y_dtype)):
        if dtype.kind not in "biuf":
            raise DataError(f"'{name}' array '{key}' holds {dtype} values; it must hold numbers")
        if not shape or shape[0] == 0:
            raise DataError(f"'{name}' array '{key}' has shape {list(shape)}; it needs one row per sample")
        if 0 in shape[1:]:
            raise DataError(f"'{name}' array '{key}' has shape {list(shape)}; each sample must hold at least one value")
    if len(x_shape) - 1 > MAX_X_DIMS:
        raise DataError(
            f"'{name}' array 'x' has {len(x_shape) - 1} dimensions per sample; at most {MAX_X_DIMS} are supported"
        )
    # What the arrays will take once converted to float32 / int64, checked before reading them.
    check_size(name, int(np.prod(x_shape, dtype=np.float64)) * 4, "would take")
    check_size(name, int(np.prod(y_shape, dtype=np.float64)) * 8, "would take")
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
    (y,) = _arrays(path, ("y",))
    if y.ndim != 1 and not (y.ndim == 2 and y.shape[1] == 1):
        raise DataError(f"'{name}' class labels 'y' have shape {list(y.shape)}; expected [N]")
    if not integer:
        _check_finite(name, "y", y)
        if not np.all(y == np.round(y)):
            raise DataError(
                f"'{name}' array 'y' holds fractions; classification needs whole-number labels, or set task to regression"
            )
    low, high = y.min(), y.max()
    if low < 0:
        raise DataError(f"'{name}' array 'y' has the label {int(low)}; labels run from 0 to classes-1")
    if high >= MAX_CLASSES:
        raise DataError(
            f"'{name}' array 'y' has the label {int(high)}; labels run from 0 to classes-1 "
            f"and at most {MAX_CLASSES} classes are supported (renumber the labels 0, 1, 2, ...)"
        )
    num_classes = int(high) + 1
    names = tuple(str(i) for i in range(num_classes))
    return DatasetInfo(x_spec, labels(num_classes), "classification", names, x_shape[0])


def _check_finite(name: str, key: str, array: np.ndarray) -> None:
    """DataError naming the first sample with a NaN or infinity (also a float64 too large for float32)."""
    if array.dtype.kind != "f":
        return
    finite = np.isfinite(array).reshape(len(array), -1).all(axis=1)
    if not finite.all():
        bad = int((~finite).sum())
        first = int(np.argmin(finite))
        raise DataError(
            f"'{name}' array '{key}' has {bad} sample{'s' if bad > 1 else ''} with NaN or infinite values "
            f"(the first is sample {first}); fill in or drop them"
        )


def _arrays(path: Path, keys: tuple[str, ...]) -> list[np.ndarray]:
    """The named arrays, read from a regular file without pickles; DataError if the file is damaged."""
    try:
        with open_regular(path) as handle, np.load(handle, allow_pickle=False) as arrays:
            return [arrays[key] for key in keys]
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, OSError):
        raise DataError(
            f"'{path.name}' is not a readable .npz file (damaged or changed while read); {_SAVE_HINT}"
        ) from None


def _headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Array name -> (shape, dtype), read from the .npy headers without loading the data."""
    try:
        with open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
            out = {}
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as stream:
                    version = np.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
                out[member[: -len(".npy")]] = (tuple(shape), dtype)
            return out
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise DataError(f"'{path.name}' is not a readable .npz file; {_SAVE_HINT}") from None
