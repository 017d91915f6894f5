"""Reading the user's table (CSV, TSV or Parquet) into columns of cells, with the line each row came from.

Text tables are parsed with the csv module over the bounded reader of `files.open_regular`, so
every error names a line and a column and the row-length check sees short rows (pandas would pad
them with gaps). Parquet files are read by pandas with pyarrow from the same bounded reader. No
value is interpreted here: `table_columns` decides what each column holds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.files import open_regular
from engine.data.info import DataError
from engine.data.quoting import quotable

# The header line is read first to guess the delimiter: a longer "line" is not a CSV header.
MAX_HEADER_CHARS = 1 << 20
PARQUET_SUFFIXES = (".parquet", ".pq")
TAB_SUFFIXES = (".tsv", ".tab")


@dataclass
class Table:
    """A table as read: column names, one array of cells per column, and each row's line (for messages).

    Cells of a text table are str; a Parquet column keeps its own dtype (numbers, booleans, or
    objects with None for a gap).
    """

    name: str  # the file's name, for messages
    columns: list[str]
    cells: list[np.ndarray]
    lines: np.ndarray  # int64: the line in a text file, the row number (1-based) in a Parquet file
    line_word: str = "line"  # "row" for Parquet

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> Table:
        """The rows where `keep` is true."""
        return Table(self.name, self.columns, [c[keep] for c in self.cells], self.lines[keep], self.line_word)


def read_table(path: Path) -> Table:
    """Every row of the CSV, TSV or Parquet file at `path`; DataError (one line naming the file) if unreadable."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return _read_parquet(path)
    return _read_text(path)


def _read_text(path: Path) -> Table:
    name = path.name
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8-sig", newline="") as handle:
            header_line = handle.readline(MAX_HEADER_CHARS)
            if len(header_line) >= MAX_HEADER_CHARS:
                raise DataError(
                    f"'{name}' is not a CSV file: its first line is longer than {MAX_HEADER_CHARS} characters"
                )
            delimiter = text_delimiter(path, header_line)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter)
            columns = check_header(name, [h.strip() for h in next(reader, [])])
            cells: list[list[str]] = [[] for _ in columns]
            lines: list[int] = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != len(columns):
                    raise DataError(
                        f"'{name}' line {reader.line_num} has {len(row)} values "
                        f"but the header has {len(columns)} columns"
                    )
                for column, cell in zip(cells, row, strict=True):
                    column.append(cell.strip())
                lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise DataError(f"'{name}' is not a CSV text file (it is not UTF-8 text)") from None
    except csv.Error as exc:
        raise DataError(f"'{name}' is not a readable CSV file ({exc})") from None
    if not lines:
        raise DataError(f"'{name}' has a header but no data rows")
    return Table(name, columns, [np.array(c, dtype=object) for c in cells], np.array(lines, dtype=np.int64))


def _read_parquet(path: Path) -> Table:
    import pandas as pd

    name = path.name
    try:
        with open_regular(path) as handle:
            frame = pd.read_parquet(handle, engine="pyarrow")
    except DataError:
        raise
    except ImportError:
        raise DataError(f"'{name}': reading Parquet needs pyarrow (pip install pyarrow)") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a file that is not Parquet
        raise DataError(f"'{name}' is not a readable Parquet file ({type(exc).__name__})") from None
    columns = check_header(name, [str(c).strip() for c in frame.columns])
    if not len(frame):
        raise DataError(f"'{name}' has columns but no data rows")
    return Table(name, columns, frame_cells(frame), np.arange(1, len(frame) + 1, dtype=np.int64), "row")


def text_delimiter(path: Path, header_line: str) -> str:
    """Tab for .tsv/.tab; otherwise whichever of comma, semicolon and tab the header line has most of."""
    return "\t" if path.suffix.lower() in TAB_SUFFIXES else max(",;\t", key=header_line.count)


def frame_cells(frame) -> list[np.ndarray]:
    """A pandas frame's columns as cells: typed numbers, booleans and timestamps as they are, anything else as
    objects."""
    cells = []
    for column in frame.columns:
        series = frame[column]
        if series.dtype.kind == "M":  # a timestamp: datetime64, in UTC when it has a zone (NaT for a gap)
            utc = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series
            cells.append(utc.to_numpy())
        elif series.dtype.kind in "biuf":
            cells.append(series.to_numpy())
        else:  # strings, categoricals, nullable types: objects, None for a gap
            cells.append(series.astype(object).where(series.notna(), None).to_numpy(dtype=object))
    return cells


def check_header(name: str, header: list[str]) -> list[str]:
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
