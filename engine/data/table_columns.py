"""What each column of a table holds, and what the Dataset node's settings say to do with it.

A column is numeric, boolean (true/false, yes/no), categorical (text), constant (one value) or
empty (no value at all). The node's `columns` setting overrides, per column, what to use it for
(`exclude`), how to encode text (`onehot`, `embed`, `number`) and how to fill gaps (`mean`,
`median`, `most_frequent`, `drop_rows`): `city: embed most_frequent; id: exclude; age: median`.
Node-wide `categorical` and `missing` apply to the columns it does not name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.data.info import DataError
from engine.data.quoting import names_list, quotable
from engine.data.table_dates import ISO_FORMAT, guess_format, is_iso, seconds, timestamp_seconds

# Cells that mean "no value" (pandas' defaults, and the "?" of the UCI archive). "None" is left
# out: it is a real class in columns such as severity (none, mild, severe).
MISSING = frozenset(
    s.lower()
    for s in (
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null", "?",
    )
)  # fmt: skip
BOOLEAN_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
KINDS = ("numeric", "boolean", "datetime", "categorical", "constant", "empty")
ENCODINGS = ("onehot", "embed", "number")
FILLS = ("mean", "median", "most_frequent", "drop_rows")
NODE_MISSING = ("refuse", *FILLS)
# A text column with more distinct values than this share of its rows (and at least MANY_VALUES
# of them) is an id or free text, not categories: one-hot would make a column per row.
ID_SHARE = 0.5
MANY_VALUES = 20
# `datetime` reads a text column as dates and times (engine/data/table_dates.py): features year ... hour
WORDS = {
    "exclude": "use",
    "feature": "use",
    **dict.fromkeys((*ENCODINGS, "datetime"), "encode"),
    **dict.fromkeys(FILLS, "missing"),
}


@dataclass(frozen=True)
class ColumnChoice:
    """What the `columns` setting says about one column; None where it says nothing."""

    use: str | None = None  # feature or exclude
    encode: str | None = None
    missing: str | None = None


@dataclass
class ColumnProfile:
    """One column as read: its kind, its gaps, and its values as numbers or category names."""

    name: str
    kind: str  # one of KINDS
    base: str  # numeric, boolean, datetime or categorical: how the values are read (a constant column has one too)
    missing: np.ndarray  # bool per row
    numbers: np.ndarray | None  # float64 per row (NaN at gaps) for numeric and boolean columns
    categories: tuple[str, ...] = ()  # sorted distinct values of a categorical column
    codes: np.ndarray | None = None  # float64 index into categories (NaN at gaps)
    stray_row: int | None = None  # a mostly numeric column: the first row whose value is not a number
    number_count: int = 0
    date_format: str | None = None  # a datetime column: ISO8601 or the strftime format its text is read with
    bad_date_row: int | None = None  # a column marked datetime: the first row whose value does not read as one

    @property
    def missing_count(self) -> int:
        return int(self.missing.sum())

    def values(self) -> np.ndarray:
        """float64 per row, NaN at gaps: numbers, 0/1, seconds since 1970 (datetime), or category codes."""
        return self.numbers if self.numbers is not None else self.codes


def parse_column_settings(text: str) -> dict[str, ColumnChoice]:
    """`columns` as {column: ColumnChoice}; DataError naming the entry for anything it cannot read."""
    choices: dict[str, ColumnChoice] = {}
    for entry in (e.strip() for e in text.replace("\n", ";").split(";")):
        if not entry:
            continue
        name, colon, words = entry.rpartition(":")
        name = name.strip()
        if not colon or not name:
            raise DataError(f"columns: '{entry}' needs a column name, a colon and settings, e.g. 'city: onehot'")
        given: dict[str, str] = {}
        for word in words.split():
            word = word.strip(",").lower()
            if word not in WORDS:
                raise DataError(f"columns: '{entry}' has an unknown setting '{word}' (expected {', '.join(WORDS)})")
            slot = WORDS[word]
            if slot in given and given[slot] != word:
                raise DataError(f"columns: '{entry}' sets {slot} twice ({given[slot]} and {word}); keep one")
            given[slot] = word
        if not given:
            raise DataError(f"columns: '{entry}' names no setting (e.g. exclude, onehot, median)")
        if name in choices:
            raise DataError(f"columns: '{name}' is set twice; put its settings in one entry")
        choices[name] = ColumnChoice(given.get("use"), given.get("encode"), given.get("missing"))
    return choices


def format_column_settings(choices: dict[str, ColumnChoice]) -> str:
    """The `columns` text for `choices`: `id: exclude; city: embed most_frequent`."""
    entries = []
    for name, choice in choices.items():
        words = " ".join(w for w in (choice.use, choice.encode, choice.missing) if w)
        entries.append(f"{name}: {words}")
    return "; ".join(entries)


def with_column_setting(text: str, column: str, word: str) -> str:
    """`columns` with `word` set for `column`, replacing its word of the same kind ("feature" undoes exclude)."""
    choices = parse_column_settings(text)
    slot = WORDS[word]
    changed = replace(choices.get(column, ColumnChoice()), **{slot: None if word == "feature" else word})
    if changed == ColumnChoice():
        choices.pop(column, None)
    else:
        choices[column] = changed
    return format_column_settings(choices)


def check_named_columns(file_name: str, choices: dict[str, ColumnChoice], columns: list[str]) -> None:
    unknown = [n for n in choices if n not in columns]
    if unknown:
        named = f"'{unknown[0]}'" if quotable(unknown[0]) else "a column"
        raise DataError(f"columns names {named}, which '{file_name}' does not have (columns: {names_list(columns)})")


def profile_column(
    name: str, cells: np.ndarray, forced_text: bool = False, forced_datetime: bool = False
) -> ColumnProfile:
    """Detect what `cells` hold; `forced_text` reads numbers as category names (the user said onehot/embed),
    `forced_datetime` reads text as dates and times (the user said datetime)."""
    import pandas as pd

    if cells.dtype.kind == "M":  # a Parquet timestamp column
        numbers = timestamp_seconds(cells)
        missing = np.isnan(numbers)
        return _finish(ColumnProfile(name, "datetime", "datetime", missing, numbers, date_format=ISO_FORMAT))
    if cells.dtype.kind in "biuf":  # a typed (Parquet) column
        numbers = cells.astype(np.float64)
        missing = np.isnan(numbers)
        base = "boolean" if cells.dtype.kind == "b" else "numeric"
        if not forced_text:
            return _finish(ColumnProfile(name, base, base, missing, numbers, number_count=int((~missing).sum())))
        cells = np.array([None if m else f"{v:g}" for v, m in zip(numbers, missing, strict=True)], dtype=object)
    text = pd.Series(cells, dtype=object)
    lowered_all = text.astype(str).str.lower()
    missing = text.isna().to_numpy() | lowered_all.isin(MISSING).to_numpy()
    present = text[~missing].astype(str)
    lowered = lowered_all[~missing]
    if forced_datetime or (not forced_text and is_iso(present.tolist())):
        dated = _dates(name, present.tolist(), missing, forced_datetime)
        if dated is not None:
            return dated
    if not forced_text and len(present) and lowered.isin(list(BOOLEAN_WORDS)).all() and _one_vocabulary(lowered):
        numbers = np.full(len(cells), np.nan)
        numbers[~missing] = lowered.map(BOOLEAN_WORDS).to_numpy(dtype=np.float64)
        return _finish(ColumnProfile(name, "boolean", "boolean", missing, numbers))
    if not forced_text and len(present):
        try:  # numpy converts with Python's float: correctly rounded (pandas' faster parser is an ulp off at times)
            values = np.asarray(present.to_numpy(), dtype=np.float64)
        except ValueError:
            values = None  # some cell is not a number: counted below
        if values is not None:
            numbers = np.full(len(cells), np.nan)
            numbers[~missing] = values
            return _finish(ColumnProfile(name, "numeric", "numeric", missing, numbers, number_count=len(values)))
    parsed = pd.to_numeric(present, errors="coerce")
    number_count = int(parsed.notna().sum())
    categories, codes = np.unique(present.to_numpy(dtype=str), return_inverse=True)
    full_codes = np.full(len(cells), np.nan)
    full_codes[~missing] = codes
    stray = None
    if not forced_text and 0 < len(present) <= number_count * 2:  # mostly numbers: a typo, not categories
        stray = int(np.flatnonzero(~missing)[int(np.flatnonzero(parsed.isna().to_numpy())[0])])
    profile = ColumnProfile(
        name,
        "categorical",
        "categorical",
        missing,
        None,
        tuple(str(c) for c in categories),
        full_codes,
        stray,
        number_count,
    )
    return _finish(profile)


def _dates(name: str, present: list[str], missing: np.ndarray, forced: bool) -> ColumnProfile | None:
    """The column as dates and times; None for ISO-looking text that does not read as dates (then: text).

    A column the user marked that does not read names its first bad row (`bad_date_row`)."""
    date_format = guess_format(present[0]) if present else ISO_FORMAT
    secs = seconds(present, date_format) if date_format else np.full(len(present), np.nan)
    failed = np.flatnonzero(np.isnan(secs))
    numbers = np.full(len(missing), np.nan)
    numbers[~missing] = secs
    profile = ColumnProfile(name, "datetime", "datetime", missing, numbers, date_format=date_format)
    if len(failed):
        if not forced:
            return None
        profile.bad_date_row = int(np.flatnonzero(~missing)[failed[0]])
    return _finish(profile)


def _one_vocabulary(lowered) -> bool:
    """true/false or yes/no, not a mix of the two (that would be categories)."""
    words = set(lowered)
    return words <= {"true", "false"} or words <= {"yes", "no"}


def _finish(profile: ColumnProfile) -> ColumnProfile:
    values = profile.values()
    present = values[~profile.missing]
    if not present.size:
        profile.kind = "empty"
    elif np.unique(present).size == 1:
        profile.kind = "constant"
    return profile


def looks_like_ids(profile: ColumnProfile) -> bool:
    """Text with nearly one distinct value per row (names, ids, free text): not categories to encode."""
    present = int((~profile.missing).sum())
    return (
        profile.base == "categorical"
        and len(profile.categories) >= MANY_VALUES
        and (len(profile.categories) > ID_SHARE * present)
    )
