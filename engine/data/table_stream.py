"""A table larger than memory, split and fitted without holding it: `LazyTable` stands where its coded rows would.

`read_table_streamed` plans the table from one pass over its chunks (engine/data/table_scan.py) and gives a
RawDataset whose x is a LazyTable over the kept rows: load_dataset splits it by index like an array (the
labels are in memory, so the split is the in-memory path's split, row for row). `StreamedTablePlan.fit` then
reads the training rows chunk by chunk and fits what `TablePlan.fit` fits on them: means from exact sums,
medians from the column's training values (one float64 column is held, not the table), most frequent values
from counts, the categories training saw. `encode` and `standardized` attach the fitted transform; the rows
are encoded when a batch needs them (engine/data/table_stream_split.py). Standardization statistics come
from exact sums as in memory (engine/data/table_stats.py), so the preprocessing.json is the same.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.info import DataError
from engine.data.table_chunks import CHUNK_ROWS, TableSource
from engine.data.table_columns import BOOLEAN_WORDS
from engine.data.table_prep import FittedFeature, TablePlan, _hint, _shown
from engine.data.table_scan import ColumnDecoder, ScannedTable
from engine.data.table_stats import ExactSums, stats_from_sums


@dataclass(frozen=True)
class RowTransform:
    """Everything a DataLoader worker needs to turn a chunk's rows into model input (plain data: it pickles)."""

    source: TableSource
    decoders: tuple[ColumnDecoder, ...]
    plan: TablePlan
    fitted: tuple[FittedFeature, ...] | None = None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def coded(self, chunk: int, offsets: np.ndarray) -> np.ndarray:
        """The chunk's rows at `offsets` coded [rows, features], NaN at gaps, in the in-memory raw.x's dtype."""
        table = self.source.read_chunk(chunk, self.numbers)
        coded = np.stack([_code(d, table.cells[d.index][offsets]) for d in self.decoders], axis=1)
        return coded.astype(self.plan.coded_dtype)

    @property
    def numbers(self) -> frozenset[int]:
        """The file columns of numeric features: a text chunk may hand them over already read as numbers."""
        return frozenset(d.index for d in self.decoders if d.base == "numeric" and not d.forced_text)

    def rows(self, chunk: int, offsets: np.ndarray) -> np.ndarray:
        """The chunk's rows at `offsets` as the model's input (encoded, then standardized if fitted so); coded
        (as the in-memory raw.x) before the fit."""
        if self.fitted is None:
            return self.coded(chunk, offsets)
        # TablePlan's own encode, on numbers (StreamedTablePlan.encode attaches the fit to a LazyTable instead)
        x = TablePlan.encode(self.plan, list(self.fitted or ()), self.coded(chunk, offsets))
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x


def _code(decoder: ColumnDecoder, cells: np.ndarray) -> np.ndarray:
    """`decoder.code(cells)`, with a hashed lookup first for a text column of categories or yes/no words: when every
    cell is one of the known values exactly (no gap, no other spelling) the codes are the same, found ~20x faster
    than through ColumnDecoder's gap markers and lower-casing; any other chunk takes ColumnDecoder's own way."""
    if cells.dtype == object and not decoder.forced_text and decoder.base in ("categorical", "boolean"):
        import pandas as pd

        if decoder.base == "categorical":
            codes = pd.Categorical(cells, categories=decoder.categories).codes
            if len(codes) and codes.min() >= 0:
                return codes.astype(np.float64)
        else:
            index = pd.Categorical(cells, categories=_BOOLEAN_WORDS).codes
            if len(index) and index.min() >= 0:
                return _BOOLEAN_VALUES[index]
    return decoder.code(cells)


_BOOLEAN_WORDS = list(BOOLEAN_WORDS)  # as written in the file: other spellings ("Yes") go ColumnDecoder's way
_BOOLEAN_VALUES = np.array([BOOLEAN_WORDS[w] for w in _BOOLEAN_WORDS])


@dataclass
class TableStream:
    """The table as the main process knows it: the source, the coders, and the file row of every kept row."""

    transform: RowTransform
    kept_rows: np.ndarray
    workers: int


class LazyTable:
    """Kept rows of a streamed table selected by index, before reading: indexes like the array of their rows."""

    def __init__(self, stream: TableStream, indices: np.ndarray, transform: RowTransform | None = None):
        self.stream = stream
        self.indices = np.asarray(indices, dtype=np.int64)
        self.transform = transform or stream.transform

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def width(self) -> int:
        plan = self.transform.plan
        if self.transform.fitted is None:
            return len(plan.features)
        return len(plan.features) if plan.embeds else sum(f.width for f in plan.features)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indices), self.width)

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int64 if self.transform.fitted is not None and self.transform.plan.embeds else np.float32)

    def __getitem__(self, key) -> LazyTable:
        return LazyTable(self.stream, self.indices[key], self.transform)

    def astype(self, dtype) -> LazyTable:
        return self

    def with_transform(self, **changes: Any) -> LazyTable:
        from dataclasses import replace

        return LazyTable(self.stream, self.indices, replace(self.transform, **changes))

    def chunks(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(chunk, row offsets in it, positions in this selection) for every chunk holding selected rows, in file order."""
        rows = self.stream.kept_rows[self.indices]
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        starts = np.asarray(self.transform.source.starts, dtype=np.int64)
        cuts = np.searchsorted(rows, starts)
        out = []
        for chunk in range(len(starts) - 1):
            lo, hi = cuts[chunk], cuts[chunk + 1]
            if hi > lo:
                out.append((chunk, rows[lo:hi] - starts[chunk], order[lo:hi]))
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, dtype=self.dtype)
        for chunk, offsets, positions in self.chunks():
            out[positions] = self.transform.rows(chunk, offsets)
        return out if dtype is None else out.astype(dtype)

    def feature_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of these (encoded) rows, from exact sums: what memory gives for them."""
        sums = ExactSums(self.width, squares=True)
        for part in map_chunks(_sums_of_chunk, self):
            sums.merge(part)
        return stats_from_sums(sums)

    def digest(self) -> bytes:
        """Stands for the rows in a fingerprint: the file's name, size and modification time, and the rows kept."""
        path = Path(self.transform.source.path)
        st = path.stat()
        digest = hashlib.sha256(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        digest.update(np.ascontiguousarray(self.stream.kept_rows[self.indices]).data)
        return digest.digest()


class StreamedTablePlan(TablePlan):
    """A TablePlan whose rows are a LazyTable: fitting reads the training rows chunk by chunk."""

    preview_note = ""  # the data preview of a streamed table: which rows its samples and statistics come from

    def report_lines(self) -> list[str]:
        return [*super().report_lines(), *([self.preview_note] if self.preview_note else [])]

    def fit(self, coded: LazyTable) -> list[FittedFeature]:  # type: ignore[override]
        accumulators = [_FillFit(f) for f in self.features]
        for part in map_chunks(_fit_chunk, coded):
            for accumulator, other in zip(accumulators, part, strict=True):
                accumulator.merge(other)
        return [a.fitted(self.file) for a in accumulators]

    def encode(self, fitted: list[FittedFeature], coded: LazyTable) -> LazyTable:  # type: ignore[override]
        return coded.with_transform(fitted=tuple(fitted))


class _FillFit:
    """One feature's fill and known categories, from its training values chunk by chunk (as TablePlan.fit)."""

    def __init__(self, feature):
        self.feature = feature
        self.known = np.zeros(len(feature.categories), dtype=bool) if feature.base == "categorical" else None
        self.sums = ExactSums(1)
        self.values: list[np.ndarray] = []
        self.counts: Counter = Counter()

    def add(self, values: np.ndarray) -> None:
        present = values[~np.isnan(values)]
        if self.known is not None:
            self.known[present.astype(np.int64)] = True
        fill = self.feature.fill
        if fill == "mean":
            self.sums.add(present.reshape(-1, 1))
        elif fill == "median":
            self.values.append(present)
        elif fill == "most_frequent":
            distinct, counts = np.unique(present, return_counts=True)
            self.counts.update(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
        else:
            self.sums.count += len(present)

    def merge(self, other: _FillFit) -> None:
        """Take in what another chunk's accumulator saw."""
        if self.known is not None:
            self.known |= other.known
        self.sums.merge(other.sums)
        self.values += other.values
        self.counts.update(other.counts)

    def fitted(self, file: str) -> FittedFeature:
        feature, fill = self.feature, None
        if feature.fill is not None:
            count = self.sums.count + sum(len(v) for v in self.values) + sum(self.counts.values())
            if not count:
                raise DataError(
                    f"'{file}' column {_shown(feature.name)} has no value in the training rows to fill its "
                    f"gaps from; exclude it{_hint(feature.name, 'exclude')}"
                )
            if feature.fill == "mean":
                fill = self.sums.means()[0]
            elif feature.fill == "median":
                fill = float(np.median(np.concatenate(self.values)))
            else:
                best = max(self.counts.values())
                fill = float(min(v for v, c in self.counts.items() if c == best))  # ties: the smallest, as np.unique
        return FittedFeature(fill, self.known)


def map_chunks(function, rows: LazyTable) -> Iterator[Any]:
    """`function(transform, chunk, offsets)` for each chunk holding `rows`, in file order: on `stream_workers`
    processes (each reads its own chunks), or here in a process that may not start any (a daemonic one)."""
    from engine.data import streaming_split

    tasks = [(rows.transform, chunk, offsets) for chunk, offsets, _ in rows.chunks()]
    workers = min(rows.stream.workers, len(tasks))
    if workers < 2 or not streaming_split.may_start_processes():
        yield from (function(*task) for task in tasks)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(function, *zip(*tasks, strict=True))


def _fit_chunk(transform: RowTransform, chunk: int, offsets: np.ndarray) -> list[_FillFit]:
    values = transform.coded(chunk, offsets)
    accumulators = [_FillFit(f) for f in transform.plan.features]
    for index, accumulator in enumerate(accumulators):
        accumulator.add(values[:, index])
    return accumulators


def _sums_of_chunk(transform: RowTransform, chunk: int, offsets: np.ndarray) -> ExactSums:
    rows = transform.rows(chunk, offsets)
    sums = ExactSums(rows.shape[1], squares=True)
    sums.add(rows)
    return sums


def streamed_dataset(scanned: ScannedTable, workers: int) -> tuple[StreamedTablePlan, LazyTable]:
    """The plan that fits chunk by chunk, and the LazyTable of every kept row."""
    base = scanned.plan
    # copies: the scan is cached, and the reader adds the target and class warnings to its plan
    plan = StreamedTablePlan(
        base.file, list(base.features), list(base.excluded), dict(base.dropped), dict(base.target), list(base.warnings)
    )
    stream = TableStream(RowTransform(scanned.source, scanned.decoders, plan), scanned.kept_rows, workers)
    return plan, LazyTable(stream, np.arange(len(scanned.kept_rows)))


__all__ = ["CHUNK_ROWS", "LazyTable", "RowTransform", "StreamedTablePlan", "TableStream", "streamed_dataset"]
