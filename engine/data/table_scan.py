"""A table larger than memory, planned from one pass over its chunks: the same plan `plan_table` makes from the
whole file, without holding it.

Each column's facts are gathered chunk by chunk (engine/data/table_chunks.py): its gaps, whether every
value is a number or a true/false word, its distinct values (for categories), its smallest and largest
number (for a constant column), the first row that breaks a rule (for the message). The result is the same
TablePlan, with the same kinds, categories, dropped rows, errors and warnings as `plan_table` on the whole
file, plus a `ColumnDecoder` per feature that codes any later chunk's cells into the same numbers
(ColumnProfile.values: numbers, 0/1, category codes, NaN at gaps). The target column becomes the same
labels or numbers as `csv_file._targets` makes; only the kept rows' labels (and which file rows they are)
are held in memory, as a streamed image folder holds its labels.

A column keeps at most MAX_STREAMED_CATEGORIES distinct values while scanning; a text column with more is
refused by name (the in-memory path would call it an id column, or one-hot it into as many features).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.info import DataError
from engine.data.quoting import quotable
from engine.data.table_chunks import CHUNK_ROWS, TableSource, scan_chunks
from engine.data.table_columns import (
    BOOLEAN_WORDS,
    ID_SHARE,
    MANY_VALUES,
    MISSING,
    ColumnChoice,
    check_named_columns,
    parse_column_settings,
)
from engine.data.table_dates import ISO_FORMAT, guess_format, is_iso, seconds, timestamp_seconds
from engine.data.table_prep import (
    FeaturePlan,
    TablePlan,
    _hint,
    _shown,
    bad_date,
    feature_encoding,
    not_dates,
    planned,
    target_setting,
)
from engine.data.table_read import Table

MAX_STREAMED_CATEGORIES = 100_000
NUMBERS_KEPT_AS_TEXT = 1_000  # distinct values kept as text of a column that has held only numbers so far
_MISSING_LIST = sorted(MISSING)


@dataclass(frozen=True)
class ColumnDecoder:
    """How one feature column's cells become coded numbers, in any chunk (plain data: pickles for workers)."""

    index: int  # the column's position in the file
    base: str  # numeric, boolean, datetime or categorical
    forced_text: bool  # numbers read as category names (the user said onehot/embed)
    categories: tuple[str, ...] = ()
    date_format: str | None = None  # datetime text: ISO8601 or a strftime format

    def code(self, cells: np.ndarray) -> np.ndarray:
        """float64 per cell, NaN at gaps: numbers, 0/1, or category codes (as ColumnProfile.values)."""
        if self.base == "numeric" and cells.dtype == object:
            try:  # a chunk without gap markers: Python's float reads every cell (a 'nan' cell is NaN either way)
                return cells.astype(np.float64)
            except (TypeError, ValueError):
                pass  # a gap such as '' or 'NA': read as profile_column reads
        missing, present, typed = _present(cells, self.forced_text)
        out = np.full(len(cells), np.nan)
        if typed is not None:
            out[~missing] = typed[~missing]
            return out
        if self.base == "datetime":
            out[~missing] = seconds(present, self.date_format or ISO_FORMAT)
        elif self.base == "boolean":
            out[~missing] = [BOOLEAN_WORDS[v.lower()] for v in present]
        elif self.base == "numeric":
            out[~missing] = np.asarray(present, dtype=np.float64)
        else:
            out[~missing] = np.searchsorted(np.asarray(self.categories, dtype=str), np.asarray(present, dtype=str))
        return out


def _present(cells: np.ndarray, forced_text: bool) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """(gap mask, present cells as text, or the numbers of a typed column read as numbers), as profile_column reads."""
    if cells.dtype.kind == "M":  # a Parquet timestamp: seconds since 1970
        numbers = timestamp_seconds(cells)
        return np.isnan(numbers), [], numbers
    if cells.dtype.kind in "biuf":
        numbers = cells.astype(np.float64)
        missing = np.isnan(numbers)
        if not forced_text:
            return missing, [], numbers
        return missing, [f"{v:g}" for v in numbers[~missing]], None
    import pandas as pd

    text = pd.Series(cells, dtype=object)
    lowered = text.astype(str).str.lower()
    missing = text.isna().to_numpy() | lowered.isin(_MISSING_LIST).to_numpy()
    return missing, text[~missing].astype(str).tolist(), None


@dataclass
class _ColumnScan:
    """What one column's chunks have shown so far."""

    name: str
    index: int
    forced_text: bool
    drops_rows: bool
    typed: bool | None = None  # a Parquet number/boolean column (None until the first chunk)
    typed_boolean: bool = True
    typed_datetime: bool = True
    forced_datetime: bool = False  # the user marked it datetime
    iso_ok: bool = True  # every value so far an ISO 8601 date (and time) that reads as one
    date_format: str | None = None  # a column marked datetime: the format its first value gives
    bad_date_line: int | None = None
    missing: int = 0
    present: int = 0
    bool_ok: bool = True
    bool_words: set = field(default_factory=set)
    float_ok: bool = True
    number_count: int = 0
    stray_line: int | None = None
    nonfinite_line: int | None = None
    low: float = math.inf
    high: float = -math.inf
    distinct: set | None = field(default_factory=set)
    dropped: int = 0  # kept rows this column's gaps dropped
    gaps_kept: int = 0  # gaps in the rows kept
    first_gap_line: int | None = None

    def add(self, cells: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """Take in a chunk's cells; returns its gap mask."""
        missing, present, numbers = _present(cells, self.forced_text)
        typed = numbers is not None
        if self.typed is None:
            self.typed = typed
        elif self.typed != typed:
            raise DataError(
                f"column {_shown(self.name)} holds numbers in some row groups and text in others; "
                "streaming reads one kind per column (write the column with one type)"
            )
        self.missing += int(missing.sum())
        self.present += int((~missing).sum())
        if typed:
            self.typed_boolean &= cells.dtype.kind == "b"
            self.typed_datetime &= cells.dtype.kind == "M"
            self._numbers(numbers[~missing], lines[~missing])
            return missing
        if self.distinct is not None:
            self.distinct.update(present)
            # a column of numbers so far keeps few of its values as text: it becomes categories only if most of its
            # values turn out not to be numbers (the stray-value check names the row otherwise)
            limit = MAX_STREAMED_CATEGORIES if self.forced_text or not self.float_ok else NUMBERS_KEPT_AS_TEXT
            if len(self.distinct) > limit:
                self.distinct = None
        if present and (self.forced_datetime or (self.iso_ok and not self.forced_text)):
            self._dates(present, lines[~missing])
        if self.forced_text or self.forced_datetime or not present:
            return missing
        if self.bool_ok:
            words = {v.lower() for v in set(present)}
            self.bool_ok = words <= set(BOOLEAN_WORDS)
            self.bool_words |= words if self.bool_ok else set()
        try:
            values = np.asarray(present, dtype=np.float64)
        except ValueError:
            values = None
        if values is not None:
            self._numbers(values, lines[~missing])
            return missing
        import pandas as pd

        self.float_ok = False
        parsed = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce").notna().to_numpy()
        self.number_count += int(parsed.sum())
        if self.stray_line is None:
            self.stray_line = int(lines[~missing][int(np.flatnonzero(~parsed)[0])])
        return missing

    def _dates(self, present: list[str], lines: np.ndarray) -> None:
        """Whether the chunk's values read as dates and times (as profile_column's _dates reads the column)."""
        if self.forced_datetime:
            if self.date_format is None and self.bad_date_line is None:
                self.date_format = guess_format(present[0])
            secs = seconds(present, self.date_format) if self.date_format else np.full(len(present), np.nan)
            failed = np.flatnonzero(np.isnan(secs))
            if len(failed) and self.bad_date_line is None:
                self.bad_date_line = int(lines[failed[0]])
            if not len(failed):
                self._numbers(secs, lines, count=False)
            return
        self.iso_ok = is_iso(present) and not np.isnan(secs := seconds(present, ISO_FORMAT)).any()
        if self.iso_ok:
            self._numbers(secs, lines, count=False)

    def _numbers(self, values: np.ndarray, lines: np.ndarray, count: bool = True) -> None:
        self.number_count += len(values) if count else 0
        if not len(values):
            return
        finite = np.isfinite(values)
        if self.nonfinite_line is None and not finite.all():
            self.nonfinite_line = int(lines[int(np.flatnonzero(~finite)[0])])
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))

    def kept(self, missing: np.ndarray, keep: np.ndarray, lines: np.ndarray) -> None:
        gaps = missing & keep
        self.gaps_kept += int(gaps.sum())
        if self.first_gap_line is None and gaps.any():
            self.first_gap_line = int(lines[int(np.flatnonzero(gaps)[0])])

    def decided(self) -> tuple[str, str, tuple[str, ...]]:
        """(kind, base, categories) as profile_column decides them for the whole column."""
        if self.typed and self.typed_datetime:
            return self._kind("datetime", self.low == self.high), "datetime", ()
        if self.typed and not self.forced_text:
            base = "boolean" if self.typed_boolean else "numeric"
            return self._kind(base, self.low == self.high), base, ()
        if self.forced_datetime or (not self.forced_text and self.present and self.iso_ok):
            return self._kind("datetime", self.low == self.high), "datetime", ()
        if not self.forced_text and self.present:
            one_vocabulary = self.bool_words <= {"true", "false"} or self.bool_words <= {"yes", "no"}
            if self.bool_ok and one_vocabulary:
                return self._kind("boolean", len({BOOLEAN_WORDS[w] for w in self.bool_words}) == 1), "boolean", ()
            if self.float_ok:
                return self._kind("numeric", self.low == self.high), "numeric", ()
        if self.distinct is None:
            raise DataError(
                f"column {_shown(self.name)} has more different values than a streamed table keeps as categories "
                f"({MAX_STREAMED_CATEGORIES:,}; {NUMBERS_KEPT_AS_TEXT:,} numbers before its first text value): "
                f"exclude it{_hint(self.name, 'exclude')}"
            )
        categories = tuple(sorted(self.distinct))
        return self._kind("categorical", len(categories) == 1), "categorical", categories

    def _kind(self, base: str, single: bool) -> str:
        return "empty" if not self.present else "constant" if single else base

    def stray(self) -> int | None:
        """The line of the first value that is not a number, in a column of mostly numbers (a typo)."""
        if self.forced_text or not (0 < self.present <= self.number_count * 2):
            return None
        return self.stray_line


@dataclass
class _TargetScan:
    """The target column's kept cells, as texts (csv_file._targets reads them) held compactly."""

    numbers: list[np.ndarray] = field(default_factory=list)  # float64 per kept row, NaN for text
    codes: list[np.ndarray] = field(default_factory=list)  # index into `texts` per kept row
    texts: dict[str, int] | None = field(default_factory=dict)
    missing_line: int | None = None
    nonfinite_line: int | None = None
    text_line: int | None = None  # the first value that is not a number

    def add(self, cells: np.ndarray, lines: np.ndarray) -> None:
        texts = ["" if c is None else (f"{c:g}" if isinstance(c, float) else str(c)).strip() for c in cells]
        numbers = np.full(len(texts), np.nan)
        for row, text in enumerate(texts):
            if self.missing_line is None and text.lower() in MISSING:
                self.missing_line = int(lines[row])
            try:
                numbers[row] = float(text)
            except ValueError:
                if self.text_line is None:
                    self.text_line = int(lines[row])
                continue
            if self.nonfinite_line is None and not math.isfinite(numbers[row]):
                self.nonfinite_line = int(lines[row])
        self.numbers.append(numbers)
        if self.texts is not None:
            codes = np.empty(len(texts), dtype=np.int64)
            for row, text in enumerate(texts):
                codes[row] = self.texts.setdefault(text, len(self.texts))
            self.codes.append(codes)
            if len(self.texts) > MAX_STREAMED_CATEGORIES:
                self.texts, self.codes = None, []

    def targets(self, name: str, column: str, task: str, line_word: str) -> tuple[np.ndarray, str, tuple[str, ...]]:
        """(y, task, class_names) exactly as csv_file._targets gives them for the same cells."""
        from engine.data.csv_file import auto_task

        first_bad = [line for line in (self.missing_line, self.nonfinite_line) if line is not None]
        if first_bad and min(first_bad) == self.missing_line:
            raise DataError(
                f"'{name}' target {column} has a missing value on {line_word} {self.missing_line}; "
                "fill in or drop the rows whose target is missing (drop_rows)"
            )
        if first_bad:
            raise DataError(
                f"'{name}' target {column} has a value that is not finite on {line_word} {self.nonfinite_line}; "
                "fill in or drop it"
            )
        numbers = np.concatenate(self.numbers) if self.text_line is None else None
        if task == "auto":
            task = auto_task(numbers)
        if task == "regression":
            if numbers is None:
                raise DataError(
                    f"'{name}' target {column} is not numeric ({line_word} {self.text_line}); "
                    "regression needs numbers, or set task to classification"
                )
            return numbers.astype(np.float32).reshape(-1, 1), task, ()
        if numbers is None:
            if self.texts is None:
                raise DataError(
                    f"'{name}' target {column} has more than {MAX_STREAMED_CATEGORIES:,} different values, too many "
                    "classes for a streamed table"
                )
            names = list(self.texts)
            class_names = tuple(sorted(names))
            rank = {c: i for i, c in enumerate(class_names)}
            y = np.asarray([rank[n] for n in names], dtype=np.int64)[np.concatenate(self.codes)]
        else:
            distinct = np.unique(numbers)
            class_names = tuple(f"{v:g}" for v in distinct)
            y = np.searchsorted(distinct, numbers).astype(np.int64)
        if len(class_names) < 2:
            raise DataError(f"'{name}' target {column} has a single value on every row; there is nothing to tell apart")
        return y, task, class_names


@dataclass
class ScannedTable:
    """What one pass over a table gives: its plan, decoders, labels, and which file rows are kept."""

    plan: TablePlan
    decoders: tuple[ColumnDecoder, ...]
    source: TableSource
    kept_rows: np.ndarray  # int64 index (among the file's data rows) of each kept row, ascending
    target_index: int
    target_cells: _TargetScan
    column_label: str


def scan_table(
    path: Path, target_of, params: dict[str, Any], chunk_rows: int = CHUNK_ROWS, strict: bool = True
) -> ScannedTable:
    """Plan the table at `path` from one pass over its chunks; `target_of(name, columns)` picks the target index.

    Raises the DataError `plan_table` raises for the same file and settings; `strict` False (the data preview)
    leaves gaps that no setting fills in place instead of refusing them.
    """
    from engine.data.quoting import column_label

    choices = parse_column_settings(str(params.get("columns", "")))
    node_encode, node_missing = params.get("categorical", "onehot"), params.get("missing", "refuse")
    scans: list[_ColumnScan] = []
    excluded: list[str] = []
    kept_parts: list[np.ndarray] = []
    target_scan = _TargetScan()
    target_drops = 0
    source = table = None
    target = -1
    for table, source in scan_chunks(path, chunk_rows):
        if not scans and not excluded:  # the first chunk: the columns are known now
            target = target_of(table.name, table.columns)
            check_named_columns(table.name, choices, table.columns)
            target_name = table.columns[target]
            target_choice = target_setting(choices, target_name)
            target_drop = "drop_rows" in (target_choice.missing, node_missing)
            for index, column in enumerate(table.columns):
                choice = choices.get(column, ColumnChoice())
                if index == target:
                    continue
                if choice.use == "exclude":
                    excluded.append(column)
                    continue
                drops = (choice.missing or node_missing) == "drop_rows"
                scan = _ColumnScan(column, index, choice.encode in ("onehot", "embed"), drops)
                scan.forced_datetime = choice.encode == "datetime"
                scans.append(scan)
        keep = np.ones(table.num_rows, dtype=bool)
        gaps = []
        for scan in scans:
            missing = scan.add(table.cells[scan.index], table.lines)
            gaps.append(missing)
            if scan.drops_rows:
                scan.dropped += int((missing & keep).sum())
                keep &= ~missing
        target_gaps = _target_gaps(table.cells[target])
        if target_drop:
            target_drops += int((target_gaps & keep).sum())
            keep &= ~target_gaps
        for scan, missing in zip(scans, gaps, strict=True):
            scan.kept(missing, keep, table.lines)
        target_scan.add(table.cells[target][keep], table.lines[keep])
        kept_parts.append(source.starts[-2] + np.flatnonzero(keep))
    assert table is not None and source is not None  # scan_chunks raises for a file without rows
    name = table.name
    dropped = {s.name: s.dropped for s in scans if s.drops_rows and s.missing}
    if target_drop and target_drops:
        dropped[table.columns[target]] = target_drops
    kept_rows = np.concatenate(kept_parts)
    if not len(kept_rows):
        raise DataError(
            f"'{name}' has no row left after dropping the rows with gaps ({', '.join(_shown(c) for c in dropped)})"
        )
    features, decoders = [], []
    for scan in scans:
        choice = choices.get(scan.name, ColumnChoice())
        feature, decoder = _feature(table, scan, choice, node_encode, node_missing, strict)
        features.append(feature)
        decoders.append(decoder)
    plan = planned(name, features, excluded, dropped)
    label = column_label(table.columns, target)
    return ScannedTable(plan, tuple(decoders), source, kept_rows, target, target_scan, label)


def _feature(
    table: Table, scan: _ColumnScan, choice: ColumnChoice, node_encode: str, node_missing: str, strict: bool
) -> tuple[FeaturePlan, ColumnDecoder]:
    """As table_prep._feature, from a column's scan: the same checks, in the same order, with the same messages."""
    name, column = table.name, scan.name
    label = f"column '{column}'" if quotable(column) else f"column {scan.index + 1}"
    kind, base, categories = scan.decided()
    if kind == "empty":
        raise DataError(f"'{name}' {label} has no value at all; exclude it{_hint(column, 'exclude')}")
    if scan.bad_date_line is not None:
        raise DataError(bad_date(name, label, table.line_word, scan.bad_date_line, scan.date_format))
    not_dates(name, label, base, choice)
    stray = scan.stray() if base == "categorical" else None
    if stray is not None and choice.encode is None:
        raise DataError(
            f"'{name}' {label} is not numeric ({table.line_word} {stray}) though "
            f"{scan.number_count} of its values are numbers: fix that value, or read its values as categories"
            f"{_hint(column, 'onehot')}"
        )
    if base == "numeric" and scan.nonfinite_line is not None:
        raise DataError(
            f"'{name}' {label} has a value that is not finite on {table.line_word} {scan.nonfinite_line}; fill it in"
        )
    many = len(categories) >= MANY_VALUES and len(categories) > ID_SHARE * scan.present  # as looks_like_ids
    if base == "categorical" and choice.encode is None and many:
        raise DataError(
            f"'{name}' {label} has {len(categories)} different values in {scan.present} rows "
            f"(an id or free text?): exclude it{_hint(column, 'exclude')}, or encode it anyway"
            f"{_hint(column, 'onehot')}"
        )
    encode = feature_encoding(base, choice, node_encode)
    gaps = scan.gaps_kept
    strategy = choice.missing or node_missing
    if strategy in ("mean", "median") and base == "categorical":
        if choice.missing:
            raise DataError(f"columns: '{column}: {strategy}' cannot fill {label}: it holds text (use most_frequent)")
        strategy = "most_frequent"
    if strategy == "refuse":
        if gaps and strict:
            raise DataError(
                f"'{name}' {label} has a missing value on {table.line_word} {scan.first_gap_line} ({gaps} in all); fill "
                f"in or drop missing values: set missing on the Dataset node (mean, median, most_frequent, drop_rows) "
                f"or for this column{_hint(column, 'median')}"
            )
        strategy = None
    if strategy == "drop_rows":
        strategy = None
    date_format = (scan.date_format or ISO_FORMAT) if base == "datetime" else None
    feature = FeaturePlan(column, kind, base, encode, strategy, categories, gaps if strategy else 0, date_format)
    return feature, ColumnDecoder(scan.index, base, scan.forced_text, categories, date_format)


def _target_gaps(cells: np.ndarray) -> np.ndarray:
    from engine.data.table_prep import _target_gaps as gaps

    return gaps(cells)
