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

    def read_chunk(self, index: int, numbers: frozenset[int] = frozenset()) -> Table:
        """Chunk `index` as a Table (rows numbered as in the file). A text table's columns at `numbers` may come back
        as float64 numbers rather than text when every cell of the column in this chunk is one (read as float()
        reads it, NaN for an empty cell), for a reader that would turn them into numbers anyway."""
        if self.parquet:
            return _parquet_chunk(Path(self.path), self.columns, index, self.starts[index])
        with open_stream(Path(self.path)) as handle:
            handle.seek(self.offsets[index])
            data = handle.read(self.offsets[index + 1] - self.offsets[index])
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"'{self.name}' is not a CSV text file (it is not UTF-8 text)") from None
        plain = _parse_plain(data, decoded, self.name, self.columns, self.delimiter, self.lines[index], numbers)
        if plain is not None:
            return plain
        return _parse_rows(io.StringIO(decoded, newline=""), self.name, self.columns, self.delimiter, self.lines[index])


def _parse_plain(
    data: bytes,
    text: str,
    name: str,
    columns: tuple[str, ...],
    delimiter: str,
    line_base: int,
    numbers: frozenset[int] = frozenset(),
) -> Table | None:
    """The chunk's rows through pandas' C parser (~5x the csv module) when the text is plain: no quote, no NUL, a
    carriage return only before a newline, exactly one delimiter fewer than columns on every line (so no blank
    line and no short or long row) and no row of blank cells. The cells are then what the csv module gives, line
    after line; None for any other chunk, which `_parse_rows` reads (and names its bad line). A column at `numbers`
    whose every cell is a number or empty comes back as float64, NaN where empty (pandas' round-trip converter is
    Python's float(), ~2x the time of its default one, which may differ in the last bit)."""
    width = len(columns)
    if width < 2 or len(delimiter) != 1 or ord(delimiter) > 127 or not data:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    if (raw == ord('"')).any() or (raw == 0).any():
        return None
    returns = np.flatnonzero(raw == ord("\r"))
    if len(returns) and (returns[-1] + 1 == len(raw) or (raw[returns + 1] != ord("\n")).any()):
        return None
    ends = np.flatnonzero(raw == ord("\n"))
    if not len(ends) or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    delimiters = np.searchsorted(np.flatnonzero(raw == ord(delimiter)), ends)
    if (np.diff(delimiters, prepend=0) != width - 1).any():
        return None
    import pandas as pd

    frame = pd.read_csv(
        io.BytesIO(data),
        sep=delimiter,
        header=None,
        names=list(range(width)),
        dtype={i: str for i in range(width) if i not in numbers},
        keep_default_na=False,
        na_values={i: [""] for i in numbers},  # an empty cell is a gap (NaN) in a column of numbers, "" elsewhere
        float_precision="round_trip",
        skip_blank_lines=False,
        index_col=False,
        engine="c",
    )
    if len(frame) != len(ends):
        return None
    kinds = [frame[i].dtype.kind for i in range(width)]
    if any(kind not in "fiuO" for kind in kinds):
        return None  # e.g. True/False words read as booleans: not numbers
    strip = not _nothing_to_strip(text, delimiter)
    cells = []
    for i, kind in enumerate(kinds):
        if kind != "O":
            cells.append(frame[i].to_numpy(dtype=np.float64))
            continue
        column = frame[i].fillna("") if i in numbers else frame[i]  # text after all: its empty cells back to ""
        cells.append(np.array([c.strip() for c in column], dtype=object) if strip else column.to_numpy(dtype=object))
    # a row of blank cells is a blank line to the csv reader (skipped)
    if np.logical_and.reduce([c == "" if c.dtype == object else np.isnan(c) for c in cells]).any():
        return None
    return Table(name, list(columns), cells, line_base + np.arange(1, len(ends) + 1, dtype=np.int64))


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
        arrow = parquet.read_row_group(group)
        frame = arrow.to_pandas()
    except Exception as exc:  # noqa: BLE001 - as above
        raise DataError(f"'{path.name}' row group {group + 1} is not readable ({type(exc).__name__})") from None
    rows = np.arange(first_row + 1, first_row + len(frame) + 1, dtype=np.int64)
    cells = []
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype == object and arrow.column(i).null_count == 0:
            # no gap to mark as None: its objects as they are (frame_cells' null mask was a third of a worker's time)
            cells.append(column.to_numpy(dtype=object))
        else:
            cells.extend(frame_cells(frame.iloc[:, [i]]))
    return Table(path.name, list(columns), cells, rows, "row")


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
