"""The user's CSV file: numeric feature columns and one target column.

describe reads the header, the whole target column (to count classes) and checks the
feature columns of the first rows; read parses every value. Both share one parser.
"""

from __future__ import annotations

import csv
import io
import math
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import open_regular, stat_key, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.quoting import column_label, names_list, quotable
from engine.data.read_cache import ReadCache
from engine.registry.spec import floats, labels

# describe() checks this many rows of the feature columns; read() checks them all.
DESCRIBE_ROWS = 200
# auto task: an integer target with at most this many distinct values is a class label.
MAX_AUTO_CLASSES = 20
# The header line is read first to guess the delimiter: a longer "line" is not a CSV header.
MAX_HEADER_CHARS = 1 << 20
# Cells that mean "no value" (pandas' defaults, and the "?" of the UCI archive). A target that
# is missing must be refused, not become a class named "NA". "None" is left out: it is a real
# class in columns such as severity (none, mild, severe).
MISSING = frozenset(
    s.lower()
    for s in (
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null", "?",
    )
)  # fmt: skip

_CACHE = ReadCache()


def describe_csv(params: dict[str, Any]) -> DatasetInfo:
    path = user_path(params, "file")
    key = (stat_key(path), params["target_column"], params["task"])
    return _CACHE.get(key, lambda: _parse(path, params["target_column"], params["task"], DESCRIBE_ROWS)[0], path.name)


def read_csv(params: dict[str, Any], seed: int) -> RawDataset:
    path = user_path(params, "file")
    info, x, y, names = _parse(path, params["target_column"], params["task"], None)
    identity = {"target_column": params["target_column"], "task": info.task, "classes": list(info.class_names)}
    return RawDataset(x, y, info, standardize=True, identity=identity, feature_names=names)


def _parse(path: Path, target_column: str, task: str, feature_rows: int | None):
    """(info, x, y, feature column names); x holds only the first `feature_rows` rows when that is set."""
    name = path.name
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8-sig", newline="") as handle:
            header_line = handle.readline(MAX_HEADER_CHARS)
            if len(header_line) >= MAX_HEADER_CHARS:
                raise DataError(
                    f"'{name}' is not a CSV file: its first line is longer than {MAX_HEADER_CHARS} characters"
                )
            delimiter = max(",;\t", key=header_line.count)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter)
            header = [h.strip() for h in next(reader, [])]
            columns = _check_header(name, header)
            target = _target_index(name, columns, target_column)
            features = [i for i in range(len(columns)) if i != target]
            values = array("f")  # feature values, row after row: 4 bytes each, not a Python float's 24
            kept = 0
            target_cells: list[tuple[str, int]] = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != len(columns):
                    raise DataError(
                        f"'{name}' line {reader.line_num} has {len(row)} values "
                        f"but the header has {len(columns)} columns"
                    )
                target_cells.append((row[target].strip(), reader.line_num))
                if feature_rows is None or kept < feature_rows:
                    values.extend(_number(name, columns, i, row[i], reader.line_num) for i in features)
                    kept += 1
    except UnicodeDecodeError:
        raise DataError(f"'{name}' is not a CSV text file (it is not UTF-8 text)") from None
    except csv.Error as exc:
        raise DataError(f"'{name}' is not a readable CSV file ({exc})") from None
    if not target_cells:
        raise DataError(f"'{name}' has a header but no data rows")
    x = np.frombuffer(values, dtype=np.float32).reshape(kept, len(features))
    y, task, class_names = _targets(name, column_label(columns, target), target_cells, task)
    y_spec = labels(len(class_names)) if task == "classification" else floats(1)
    info = DatasetInfo(floats(len(features)), y_spec, task, class_names, len(target_cells))
    return info, x, y, tuple(columns[i] for i in features)


def _check_header(name: str, header: list[str]) -> list[str]:
    if not any(header):
        raise DataError(f"'{name}' is empty; a CSV needs a header row of column names")
    if len(header) < 2:  # the line is not quoted: the path may name any file
        raise DataError(
            f"'{name}' has a single column (no comma, semicolon or tab in its first line); a CSV needs "
            "a header row of feature columns and a target column separated by commas"
        )
    columns = [h or f"column {i + 1}" for i, h in enumerate(header)]
    seen: set[str] = set()
    for index, column in enumerate(columns):
        if column in seen:
            named = f"named '{column}'" if quotable(column) else f"with the same name (column {index + 1} and another)"
            raise DataError(f"'{name}' has two columns {named}; rename one")
        seen.add(column)
    return columns


def _target_index(name: str, columns: list[str], target_column: str) -> int:
    if not target_column.strip():
        return len(columns) - 1
    if target_column.strip() not in columns:
        raise DataError(f"'{name}' has no column '{target_column}' (columns: {names_list(columns)})")
    return columns.index(target_column.strip())


def _number(name: str, columns: list[str], index: int, cell: str, line: int) -> float:
    """The cell as a finite float; errors name the line and column, never the cell's text."""
    text = cell.strip()
    column = column_label(columns, index)
    if text.lower() in MISSING:
        raise DataError(f"'{name}' {column} has a missing value on line {line}; fill in or drop missing values")
    try:
        value = float(text)
    except ValueError:
        raise DataError(
            f"'{name}' {column} is not numeric (line {line}); "
            "feature columns must hold numbers: drop the column or encode it as numbers"
        ) from None
    if not math.isfinite(value):
        raise DataError(f"'{name}' {column} has a value that is not finite on line {line}; fill in or drop it")
    return value


def _targets(name: str, column: str, cells: list[tuple[str, int]], task: str):
    """(y, task, class_names) from the target column's cells; `column` is its label for messages."""
    for text, line in cells:
        if text.lower() in MISSING:
            raise DataError(
                f"'{name}' target {column} has a missing value on line {line}; "
                "fill in or drop the rows whose target is missing"
            )
        if not _finite_or_text(text):
            raise DataError(
                f"'{name}' target {column} has a value that is not finite on line {line}; fill in or drop it"
            )
    numbers = _as_numbers([text for text, _ in cells])
    if task == "auto":
        if numbers is None:
            task = "classification"
        else:
            distinct = np.unique(numbers)
            integral = bool(np.all(distinct == np.round(distinct)))
            few = len(distinct) <= min(MAX_AUTO_CLASSES, max(2, len(numbers) // 2))
            task = "classification" if integral and few else "regression"
    if task == "regression":
        if numbers is None:
            line = next(n for t, n in cells if _as_numbers([t]) is None)
            raise DataError(
                f"'{name}' target {column} is not numeric (line {line}); "
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
