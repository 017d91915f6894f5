"""A table read chunk by chunk, for tables larger than memory: each chunk a `Table` of a few thousand rows.

A first scan reads the file once in order (`scan_chunks`) and notes where each chunk starts: for a
CSV/TSV the byte offset and line of its first row, for Parquet its row group. Afterwards any chunk
is read on its own (`TableSource.read_chunk`), by any process: a DataLoader worker seeks to its
chunks and parses only those. Cells are parsed exactly as `table_read` parses a whole file (the csv
module over UTF-8 text, cells stripped, blank lines skipped; Parquet through pandas with pyarrow),
and every row keeps its line (or row) number for messages.

Streamed files are not held to NETWRIGHT_MAX_DATA_MB (that limit guards reading a file whole).
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import not_regular_kind
from engine.data.info import DataError
from engine.data.table_read import MAX_HEADER_CHARS, PARQUET_SUFFIXES, Table, check_header, frame_cells, text_delimiter

CHUNK_ROWS = 16384  # rows per chunk of a text table (a Parquet chunk is one row group): parsed, ~15 MB of cells


@dataclass(frozen=True)
class TableSource:
    """Where each chunk of a table file starts: plain data, so it pickles for DataLoader workers."""

    path: str
    columns: tuple[str, ...]
    parquet: bool
    delimiter: str  # text tables
    starts: tuple[int, ...]  # index of each chunk's first data row, then the number of rows
    offsets: tuple[int, ...] = ()  # text tables: byte offset of each chunk's first row
    lines: tuple[int, ...] = ()  # text tables: lines before each chunk's first row

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def num_chunks(self) -> int:
        return len(self.starts) - 1

    @property
    def num_rows(self) -> int:
        return self.starts[-1]

    def read_chunk(self, index: int) -> Table:
        """Chunk `index` as a Table (rows numbered as in the file)."""
        if self.parquet:
            return _parquet_chunk(Path(self.path), self.columns, index, self.starts[index])
        with open_stream(Path(self.path)) as handle:
            handle.seek(self.offsets[index])
            data = handle.read(self.offsets[index + 1] - self.offsets[index])
        try:
            text = io.StringIO(data.decode("utf-8"), newline="")
        except UnicodeDecodeError:
            raise DataError(f"'{self.name}' is not a CSV text file (it is not UTF-8 text)") from None
        return _parse_rows(text, self.name, self.columns, self.delimiter, self.lines[index])


def _parse_rows(text: io.StringIO, name: str, columns: tuple[str, ...], delimiter: str, line_base: int) -> Table:
    """Every row of one chunk's text (checked when the chunk was first scanned), as `_text_chunks` gives it."""
    reader = csv.reader(text, delimiter=delimiter)
    rows, numbers = [], []
    try:
        for row in reader:
            rows.append(row)
            numbers.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"'{name}' is not a readable CSV file ({exc})") from None
    width = len(columns)
    kept = [i for i, row in enumerate(rows) if len(row) == width and "".join(row).strip()]
    if len(kept) < len(rows):  # blank lines (or the file changed since the scan: check every row again)
        for i, row in enumerate(rows):
            if "".join(row).strip() and len(row) != width:
                raise DataError(
                    f"'{name}' line {line_base + numbers[i]} has {len(row)} values but the header has {width} columns"
                )
        rows = [rows[i] for i in kept]
        numbers = [numbers[i] for i in kept]
    if _nothing_to_strip(text.getvalue(), delimiter):
        cells = [np.array(column, dtype=object) for column in zip(*rows, strict=True)]
    else:
        cells = [np.array([c.strip() for c in column], dtype=object) for column in zip(*rows, strict=True)]
    return Table(name, list(columns), cells, line_base + np.array(numbers, dtype=np.int64))


_STRIPPED = " \t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip takes off an ASCII cell (\n only in a quoted one)


def _nothing_to_strip(text: str, delimiter: str) -> bool:
    """Whether no cell of this ASCII text, without quotes, starts or ends with whitespace (then strip is a no-op)."""
    return text.isascii() and '"' not in text and not any(c in text for c in _STRIPPED if c != delimiter)


def open_stream(path: Path) -> io.BufferedReader:
    """The regular file at `path` for binary reading (a pipe or device is refused, as open_regular does)."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"'{path.name}' is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"'{path.name}' is {not_regular_kind(info.st_mode) or 'not a regular file'}, not a regular file"
        )
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def scan_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[Table, TableSource]]:
    """Every chunk of the file in order, each with the source as known so far (complete after the last)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        yield from _scan_parquet(path)
        return
    name = path.name
    with open_stream(path) as handle:
        header = handle.readline(MAX_HEADER_CHARS)
        if len(header) >= MAX_HEADER_CHARS:
            raise DataError(f"'{name}' is not a CSV file: its first line is longer than {MAX_HEADER_CHARS} characters")
        try:
            header_text = header.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(f"'{name}' is not a CSV text file (it is not UTF-8 text)") from None
        delimiter = text_delimiter(path, header_text)
        try:
            first = next(csv.reader([header_text], delimiter=delimiter), [])
        except csv.Error as exc:
            raise DataError(f"'{name}' is not a readable CSV file ({exc})") from None
        columns = tuple(check_header(name, [h.strip() for h in first]))
        starts, offsets, lines = [0], [handle.tell()], [1]
        for table, next_offset, next_line in _text_chunks(handle, name, columns, delimiter, 1, chunk_rows):
            starts.append(starts[-1] + table.num_rows)
            offsets.append(next_offset)
            lines.append(next_line)
            source = TableSource(str(path), columns, False, delimiter, tuple(starts), tuple(offsets), tuple(lines))
            yield table, source
        if starts == [0]:
            raise DataError(f"'{name}' has a header but no data rows")


def _text_chunks(
    handle: io.BufferedReader, name: str, columns: tuple[str, ...], delimiter: str, line_base: int, chunk_rows: int
) -> Iterator[tuple[Table, int, int]]:
    """(chunk, byte offset after it, lines read up to it) for up to `chunk_rows` rows at a time, from the handle's
    position, which is the start of a line; `line_base` lines come before it."""
    position = [handle.tell()]

    def lines() -> Iterator[str]:
        for raw in iter(handle.readline, b""):
            position[0] += len(raw)
            yield raw.decode("utf-8")

    reader = csv.reader(lines(), delimiter=delimiter)
    width = len(columns)
    while True:
        cells: list[list[str]] = [[] for _ in columns]
        numbers: list[int] = []
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != width:
                    raise DataError(
                        f"'{name}' line {line_base + reader.line_num} has {len(row)} values "
                        f"but the header has {width} columns"
                    )
                for column, cell in zip(cells, row, strict=True):
                    column.append(cell.strip())
                numbers.append(line_base + reader.line_num)
                if len(numbers) == chunk_rows:
                    break
        except UnicodeDecodeError:
            raise DataError(f"'{name}' is not a CSV text file (it is not UTF-8 text)") from None
        except csv.Error as exc:
            raise DataError(f"'{name}' is not a readable CSV file ({exc})") from None
        if not numbers:
            return
        table = Table(name, list(columns), [np.array(c, dtype=object) for c in cells], np.array(numbers, np.int64))
        yield table, position[0], line_base + reader.line_num


def _scan_parquet(path: Path) -> Iterator[tuple[Table, TableSource]]:
    with _parquet_file(path) as parquet:
        yield from _scan_row_groups(path, parquet)


def _scan_row_groups(path: Path, parquet) -> Iterator[tuple[Table, TableSource]]:
    name = path.name
    columns = tuple(check_header(name, [str(c).strip() for c in parquet.schema_arrow.names]))
    starts = [0]
    for group in range(parquet.num_row_groups):
        table = _parquet_chunk(path, columns, group, starts[-1], parquet)
        starts.append(starts[-1] + table.num_rows)
        yield table, TableSource(str(path), columns, True, "", tuple(starts))
    if starts[-1] == 0:
        raise DataError(f"'{name}' has columns but no data rows")


@contextmanager
def _parquet_file(path: Path) -> Iterator[Any]:
    """The Parquet file at `path`, open while the block runs (its file closed after, whatever happens)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"'{path.name}': reading Parquet needs pyarrow (pip install pyarrow)") from None
    with open_stream(path) as handle:
        try:
            parquet = pq.ParquetFile(handle)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a file that is not Parquet
            raise DataError(f"'{path.name}' is not a readable Parquet file ({type(exc).__name__})") from None
        yield parquet


def _parquet_chunk(path: Path, columns: tuple[str, ...], group: int, first_row: int, parquet=None) -> Table:
    if parquet is None:
        with _parquet_file(path) as opened:
            return _parquet_chunk(path, columns, group, first_row, opened)
    try:
        frame = parquet.read_row_group(group).to_pandas()
    except Exception as exc:  # noqa: BLE001 - as above
        raise DataError(f"'{path.name}' row group {group + 1} is not readable ({type(exc).__name__})") from None
    rows = np.arange(first_row + 1, first_row + len(frame) + 1, dtype=np.int64)
    return Table(path.name, list(columns), frame_cells(frame), rows, "row")


def decoded_estimate(path: Path) -> int:
    """About what the table takes decoded, as float32 cells (rows x columns x 4), for `streaming: auto`: from the
    Parquet footer, or a text table's size over the mean length of its first lines. Not read whole."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        with _parquet_file(path) as parquet:
            metadata = parquet.metadata
        return int(metadata.num_rows) * int(metadata.num_columns) * 4
    with open_stream(path) as handle:
        sample = handle.read(SAMPLE_BYTES)
    lines = sample.split(b"\n")
    header = lines[0].decode("utf-8", "replace")
    columns = max(header.count(d) for d in ",;\t") + 1
    rows = len(lines) - 1 if len(sample) < SAMPLE_BYTES else os.stat(path).st_size * (len(lines) - 1) // len(sample)
    return max(rows, 0) * columns * 4


SAMPLE_BYTES = 1 << 16
