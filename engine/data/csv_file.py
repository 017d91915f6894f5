"""The user's table (CSV, TSV or Parquet): feature columns of numbers, text or true/false, and one target column.

The file is read whole (table_read), each column's kind detected and the node's settings applied
(table_columns, table_prep): text columns are one-hot encoded, embedded or numbered, gaps filled or
their rows dropped, columns excluded. What is fitted (fills, known categories, standardization)
is fitted later, on the training rows only (engine/data/load.py). The target becomes classes
(text, or whole numbers with few values) or stays numbers (regression).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.balance import rare_class_warning, rare_classes
from engine.data.files import stat_key, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.quoting import column_label, names_list
from engine.data.read_cache import ReadCache
from engine.data.streaming import streams, worker_count
from engine.data.table_chunks import decoded_estimate
from engine.data.table_columns import MISSING
from engine.data.table_prep import plan_table
from engine.data.table_read import read_table
from engine.registry.spec import floats, labels

# auto task: an integer target with at most this many distinct values is a class label.
MAX_AUTO_CLASSES = 20
# the settings that decide what is read from a table (the preview's reads differ only in `strict`)
TABLE_SETTINGS = ("target_column", "task", "columns", "categorical", "missing")
# settings added after tables first were read: left out of a run's identity at their defaults, so
# an all-numeric CSV keeps the data fingerprint it had
_LATER_DEFAULTS = {"columns": "", "categorical": "onehot", "missing": "refuse"}

_CACHE = ReadCache()
_SCANS = ReadCache(size=2)  # streamed tables' scans (labels and kept rows: 24 bytes a row)
PREVIEW_ROWS = 100_000  # a streamed table's preview reads this many rows (its first), not the file
STREAM_CHUNK_ROWS = 0  # rows per chunk of a streamed text table; 0: table_chunks.CHUNK_ROWS (tests set a few)


def describe_csv(params: dict[str, Any]) -> DatasetInfo:
    path = user_path(params, "file")
    key = (stat_key(path), *(params.get(s) for s in (*TABLE_SETTINGS, "streaming")))
    return _CACHE.get(key, lambda: read_csv(params, 0).info, path.name)


def read_csv(params: dict[str, Any], seed: int) -> RawDataset:
    path = user_path(params, "file")
    if streams(params, decoded_estimate(path)):
        return read_table_streamed(path, params)
    raw, _ = read_table_dataset(path, params)
    return raw


def read_table_streamed(path: Path, params: dict[str, Any], strict: bool = True) -> RawDataset:
    """As read_table_dataset, from one pass over the file's chunks: x is a LazyTable (engine/data/table_stream.py)."""
    from engine.data.table_chunks import CHUNK_ROWS
    from engine.data.table_scan import scan_table
    from engine.data.table_stream import streamed_dataset

    target_column = str(params.get("target_column", ""))
    chunk_rows = STREAM_CHUNK_ROWS or CHUNK_ROWS
    # one pass over a large file is minutes: describe (the graph's shapes) and the load that follows share it
    key = (stat_key(path), *(params.get(s) for s in TABLE_SETTINGS), strict, chunk_rows)
    scanned = _SCANS.get(
        key,
        lambda: scan_table(
            path, lambda name, columns: _target_index(name, columns, target_column), params, chunk_rows, strict
        ),
        path.name,
    )
    plan, lazy = streamed_dataset(scanned, worker_count(params))
    y, task, class_names = scanned.target_cells.targets(
        plan.file, scanned.column_label, params["task"], "row" if scanned.source.parquet else "line"
    )
    target = (task, class_names, scanned.source.columns[scanned.target_index])
    raw = _raw_dataset(plan, lazy, y, target, params)
    raw.identity["streamed"] = True
    return raw


def read_csv_for_preview(params: dict[str, Any], seed: int) -> RawDataset:
    """As read_csv, but gaps no setting fills yet are kept (as NaN) for the preview to show, not refused.

    A streamed table is planned from all its rows (kinds, categories, gaps), but its samples, class balance and
    column statistics come from its first PREVIEW_ROWS kept rows only, as the preview's report says."""
    path = user_path(params, "file")
    if not streams(params, decoded_estimate(path)):
        raw, _ = read_table_dataset(path, params, strict=False)
        return raw
    raw = read_table_streamed(path, params, strict=False)
    total = len(raw.y)
    first = raw.x[: min(total, PREVIEW_ROWS)]
    raw.table.preview_note = (
        f"streamed: samples and statistics from the first {len(first):,} of {total:,} rows"
        if len(first) < total
        else ""
    )
    return replace(raw, x=np.asarray(first), y=raw.y[: len(first)])


def read_table_dataset(path: Path, params: dict[str, Any], strict: bool = True) -> tuple[RawDataset, Any]:
    """(the dataset with its TablePlan in `raw.table`, the Table as read); `strict` False keeps unfilled gaps."""
    table = read_table(path)
    name = table.name
    target = _target_index(name, table.columns, str(params.get("target_column", "")))
    plan, coded, keep = plan_table(table, target, params, strict)
    cells = table.cells[target][keep]
    lines = table.lines[keep]
    target_cells = [
        ("" if c is None else (f"{c:g}" if isinstance(c, float) else str(c)).strip(), n)
        for c, n in zip(cells, lines, strict=True)
    ]
    y, task, class_names = _targets(
        name, column_label(table.columns, target), target_cells, params["task"], table.line_word
    )
    raw = _raw_dataset(plan, coded.astype(plan.coded_dtype), y, (task, class_names, table.columns[target]), params)
    return raw, table


def _raw_dataset(
    plan, x, y: np.ndarray, target: tuple[str, tuple[str, ...], str], params: dict[str, Any]
) -> RawDataset:
    """The dataset of a planned table (x: coded rows, or a LazyTable): its info, target, class warnings, identity.

    `target` is (task, class names, the target column's name)."""
    task, class_names, target_name = target
    y_spec = labels(len(class_names)) if task == "classification" else floats(1)
    info = DatasetInfo(plan.x_spec(), y_spec, task, class_names, len(y))
    plan.target = {"column": target_name, "task": task, "class_names": list(class_names)}
    if class_names:  # train says so too, not only the data preview
        counts = dict(zip(class_names, np.bincount(y, minlength=len(class_names)).tolist(), strict=True))
        plan.warnings += [rare_class_warning(c, counts[c], len(y)) for c in rare_classes(counts)]
    identity = {"target_column": params["target_column"], "task": task, "classes": list(class_names)}
    identity.update({k: params[k] for k, default in _LATER_DEFAULTS.items() if params.get(k, default) != default})
    return RawDataset(
        x,
        y,
        info,
        standardize=not plan.embeds,
        identity=identity,
        feature_names=tuple(f.name for f in plan.features),
        table=plan,
    )


def _target_index(name: str, columns: list[str], target_column: str) -> int:
    if not target_column.strip():
        return len(columns) - 1
    if target_column.strip() not in columns:
        raise DataError(f"'{name}' has no column '{target_column}' (columns: {names_list(columns)})")
    return columns.index(target_column.strip())


def auto_task(numbers: np.ndarray | None) -> str:
    """The task `auto` picks for a target column: classification for text, or for a few distinct whole
    numbers (at most MAX_AUTO_CLASSES of them, and at most half the rows, 2 at least); regression otherwise."""
    if numbers is None:
        return "classification"
    distinct = np.unique(numbers)
    integral = bool(np.all(distinct == np.round(distinct)))
    few = len(distinct) <= min(MAX_AUTO_CLASSES, max(2, len(numbers) // 2))
    return "classification" if integral and few else "regression"


def _targets(name: str, column: str, cells: list[tuple[str, int]], task: str, line_word: str = "line"):
    """(y, task, class_names) from the target column's cells; `column` is its label for messages, and
    each cell's number is its line (`line_word` "row" in a Parquet file)."""
    for text, line in cells:
        if text.lower() in MISSING:
            raise DataError(
                f"'{name}' target {column} has a missing value on {line_word} {line}; "
                "fill in or drop the rows whose target is missing (drop_rows)"
            )
        if not _finite_or_text(text):
            raise DataError(
                f"'{name}' target {column} has a value that is not finite on {line_word} {line}; fill in or drop it"
            )
    numbers = _as_numbers([text for text, _ in cells])
    if task == "auto":
        task = auto_task(numbers)
    if task == "regression":
        if numbers is None:
            line = next(n for t, n in cells if _as_numbers([t]) is None)
            raise DataError(
                f"'{name}' target {column} is not numeric ({line_word} {line}); "
                "regression needs numbers, or set task to classification"
            )
        return numbers.astype(np.float32).reshape(-1, 1), task, ()
    # Classification: numbers sort by value, text alphabetically; labels index the sorted names.
    if numbers is None:
        values = [text for text, _ in cells]
        class_names = tuple(sorted(set(values)))
    else:
        values = [f"{v:g}" for v in numbers]
        class_names = tuple(f"{v:g}" for v in np.unique(numbers))
    if len(class_names) < 2:
        raise DataError(f"'{name}' target {column} has a single value on every row; there is nothing to tell apart")
    index = {c: i for i, c in enumerate(class_names)}
    y = np.array([index[v] for v in values], dtype=np.int64)
    return y, task, class_names


def _finite_or_text(text: str) -> bool:
    """False for a cell that parses as NaN or infinity; True for finite numbers and class names."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True


def _as_numbers(texts: list[str]) -> np.ndarray | None:
    """The texts as finite floats, or None if any is not a number."""
    try:
        numbers = np.array([float(t) for t in texts], dtype=np.float64)
    except ValueError:
        return None
    return numbers if np.all(np.isfinite(numbers)) else None
