"""A table's preprocessing: planned from the file and the node's settings, fitted on the training rows only.

`plan_table` decides, per column, what is used and how (before any split): which rows are dropped
for gaps, each feature's encoding and fill rule, and the values as numbers (category codes for
text, NaN at gaps). `TablePlan.fit` then learns from the training rows alone what fills each gap
(mean, median, most frequent value) and which categories training saw; `encode` applies it to any
rows. `preprocessing_json` is everything needed to prepare new raw rows the same way, as JSON
(never pickle): the run saves it as `preprocessing.json` and the exports carry it, and
`engine/data/table_rows.py` applies it to raw rows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import check_size
from engine.data.info import DataError
from engine.data.quoting import quotable
from engine.data.table_columns import (
    MISSING,
    ColumnChoice,
    ColumnProfile,
    check_named_columns,
    looks_like_ids,
    parse_column_settings,
    profile_column,
)
from engine.data.table_dates import DATE_PARTS, ISO_FORMAT, date_features
from engine.data.table_read import Table
from engine.data.table_stats import exact_mean
from engine.fileio import atomic_write_text
from engine.registry.spec import TensorSpec, floats

PREPROCESSING_FILE = "preprocessing.json"
FORMAT = "netwright-table-preprocessing"
VERSION = 1


@dataclass
class FeaturePlan:
    name: str
    kind: str  # numeric, boolean, categorical, constant or empty (as detected)
    base: str  # numeric, boolean or categorical
    encode: str  # number, onehot or embed
    fill: str | None  # mean, median, most_frequent; None: the column has no gap to fill (refuse any)
    categories: tuple[str, ...] = ()
    missing: int = 0  # gaps left in the kept rows, filled by `fill`
    date_format: str | None = None  # datetime: ISO8601 or the strftime format of its text

    @property
    def width(self) -> int:
        if self.encode == "datetime":
            return len(DATE_PARTS)
        return len(self.categories) if self.encode == "onehot" else 1

    def output_names(self) -> list[str]:
        if self.encode == "onehot":
            return [f"{self.name}={c}" for c in self.categories]
        if self.encode == "datetime":
            return [f"{self.name}.{part}" for part in DATE_PARTS]
        return [self.name]


@dataclass
class FittedFeature:
    fill: float | None  # in the coded units: a number, 0/1, or a category code
    known: np.ndarray | None  # bool per category: seen in the training rows


@dataclass
class TablePlan:
    """What to do with each column of one table (JSON-able facts, no statistics yet)."""

    file: str
    features: list[FeaturePlan]
    excluded: list[str]
    dropped: dict[str, int] = field(default_factory=dict)  # rows dropped for a gap in each column
    target: dict[str, Any] = field(default_factory=dict)  # column, task, class_names (set by the reader)
    warnings: list[str] = field(default_factory=list)

    @property
    def coded_dtype(self) -> type:
        """float32 for the coded values, as always; float64 with a datetime column (seconds since 1970 need it)."""
        return np.float64 if any(f.base == "datetime" for f in self.features) else np.float32

    @property
    def embeds(self) -> bool:
        return bool(self.features) and self.features[0].encode == "embed"

    def x_spec(self) -> TensorSpec:
        if self.embeds:
            return TensorSpec((len(self.features),), "long", True, self.vocabulary())
        return floats(sum(f.width for f in self.features))

    def vocabulary(self) -> int:
        """Embedding ids: per column, 0 for a value training never saw, then one per category, one range after another."""
        return sum(len(f.categories) + 1 for f in self.features)

    def output_names(self) -> tuple[str, ...]:
        return tuple(n for f in self.features for n in f.output_names())

    def report_lines(self) -> list[str]:
        """One line saying how many gaps each column had filled and how many rows were dropped for gaps; none if none."""
        filled = [f"{_shown(f.name)} {f.missing} ({f.fill.replace('_', ' ')})" for f in self.features if f.missing]
        dropped = [f"{count} for {_shown(name)}" for name, count in self.dropped.items() if count]
        parts = []
        if filled:
            parts.append("missing values filled: " + ", ".join(filled))
        if dropped:
            parts.append(f"{sum(self.dropped.values())} rows with gaps dropped (" + ", ".join(dropped) + ")")
        return ["; ".join(parts)] if parts else []

    def fit(self, coded: np.ndarray) -> list[FittedFeature]:
        """Learn the fills and the known categories from the training rows `coded` [n, features] alone."""
        fitted = []
        for index, feature in enumerate(self.features):
            values = coded[:, index]
            present = values[~np.isnan(values)]
            known = None
            if feature.base == "categorical":
                known = np.zeros(len(feature.categories), dtype=bool)
                known[present.astype(np.int64)] = True
            fill = None
            if feature.fill is not None:
                if not present.size:
                    raise DataError(
                        f"'{self.file}' column {_shown(feature.name)} has no value in the training rows to fill its "
                        f"gaps from; exclude it{_hint(feature.name, 'exclude')}"
                    )
                fill = _fill_value(feature.fill, present)
            fitted.append(FittedFeature(fill, known))
        return fitted

    def encode(self, fitted: list[FittedFeature], coded: np.ndarray) -> np.ndarray:
        """The model's input for rows `coded`: float32 [n, width], or int64 ids [n, features] to embed."""
        n = len(coded)
        if self.embeds:
            out = np.zeros((n, len(self.features)), dtype=np.int64)
            offset = 0
            for index, (feature, fit) in enumerate(zip(self.features, fitted, strict=True)):
                codes = _filled(coded[:, index], fit.fill)
                ids = np.where(fit.known[codes.astype(np.int64)], codes + 1, 0)
                out[:, index] = offset + ids
                offset += len(feature.categories) + 1
            return out
        blocks = []
        for index, (feature, fit) in enumerate(zip(self.features, fitted, strict=True)):
            values = _filled(coded[:, index], fit.fill)
            if feature.base == "datetime":  # year, month, day, weekday, hour, days since 1970
                blocks.append(date_features(values.astype(np.float64)))
                continue
            if feature.base != "categorical":
                blocks.append(values[:, None])
                continue
            codes = values.astype(np.int64)
            seen = fit.known[codes]
            if feature.encode == "onehot":
                block = np.zeros((n, len(feature.categories)))
                block[np.flatnonzero(seen), codes[seen]] = 1.0
                blocks.append(block)
            else:  # number: the category's position, -1 for one training never saw
                blocks.append(np.where(seen, codes, -1.0)[:, None])
        return np.concatenate(blocks, axis=1).astype(np.float32) if blocks else np.zeros((n, 0), np.float32)

    def preprocessing_json(
        self,
        fitted: list[FittedFeature],
        training_rows: int,
        mean: np.ndarray | None,
        std: np.ndarray | None,
        class_names: tuple[str, ...],
    ) -> dict[str, Any]:
        """Everything `table_rows.prepare_rows` needs to turn raw rows into this model's input.

        `class_names` are the model's classes in the order of its outputs (the Dataset's `classes` may keep some).
        """
        columns = []
        for feature, fit in zip(self.features, fitted, strict=True):
            entry: dict[str, Any] = {"name": feature.name, "kind": feature.base, "encode": feature.encode}
            entry["missing"] = feature.fill
            if feature.base == "categorical":
                entry["categories"] = list(feature.categories)
                entry["unseen_in_training"] = [c for c, k in zip(feature.categories, fit.known, strict=True) if not k]
                entry["fill"] = None if fit.fill is None else feature.categories[int(fit.fill)]
            else:
                entry["fill"] = fit.fill
            if feature.base == "datetime":  # seconds since 1970 UTC, read with this format
                entry["format"] = feature.date_format
            columns.append(entry)
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.file,
            "fitted_on_training_rows": training_rows,
            "target": {**self.target, "class_names": list(class_names)},
            "excluded": list(self.excluded),
            "missing_markers": sorted(MISSING),
            "columns": columns,
            "outputs": list(self.output_names()),
            "dtype": "int64" if self.embeds else "float32",
            "standardize": None if mean is None else {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        }


def plan_table(
    table: Table, target: int, params: dict[str, Any], strict: bool = True
) -> tuple[TablePlan, np.ndarray, np.ndarray]:
    """(plan, coded feature values [kept rows, features] float64 with NaN at gaps, kept-row mask).

    `strict` False (the data preview) leaves gaps that no setting fills in place instead of refusing them.
    """
    name = table.name
    choices = parse_column_settings(str(params.get("columns", "")))
    check_named_columns(name, choices, table.columns)
    node_encode, node_missing = params.get("categorical", "onehot"), params.get("missing", "refuse")
    target_name = table.columns[target]
    target_choice = target_setting(choices, target_name)
    keep = np.ones(table.num_rows, dtype=bool)
    dropped: dict[str, int] = {}
    profiles: list[tuple[ColumnProfile, ColumnChoice]] = []
    excluded = []
    for index, column in enumerate(table.columns):
        choice = choices.get(column, ColumnChoice())
        if index == target:
            continue
        if choice.use == "exclude":
            excluded.append(column)
            continue
        forced_text = choice.encode in ("onehot", "embed")  # the user says: read its values as categories
        profile = profile_column(column, table.cells[index], forced_text, choice.encode == "datetime")
        profiles.append((profile, choice))
        if (choice.missing or node_missing) == "drop_rows" and profile.missing_count:
            dropped[column] = int((profile.missing & keep).sum())
            keep &= ~profile.missing
    target_gaps = _target_gaps(table.cells[target])
    if target_gaps.any() and "drop_rows" in (target_choice.missing, node_missing):
        dropped[target_name] = int((target_gaps & keep).sum())
        keep &= ~target_gaps
    if not keep.any():
        raise DataError(
            f"'{name}' has no row left after dropping the rows with gaps ({', '.join(_shown(c) for c in dropped)})"
        )
    features = [
        _feature(table, profile, choice, node_encode, node_missing, keep, strict) for profile, choice in profiles
    ]
    plan = planned(name, features, excluded, dropped)
    # one-hot columns multiply: a text column of 5,000 categories is 5,000 features on every row
    width = len(features) if plan.embeds else sum(f.width for f in features)
    check_size(name, int(keep.sum()) * width * 4, f"would take, encoded as {width} features per row,")
    coded = np.stack([p.values()[keep] for p, _ in profiles], axis=1)
    return plan, coded, keep


def target_setting(choices: dict[str, ColumnChoice], target_name: str) -> ColumnChoice:
    """The column setting given to the target: only drop_rows applies to it, anything else is refused."""
    choice = choices.get(target_name, ColumnChoice())
    if choice.use == "exclude" or choice.encode:
        raise DataError(f"columns: '{target_name}' is the target column; only drop_rows applies to it")
    if choice.missing not in (None, "drop_rows"):
        raise DataError(f"columns: the target '{target_name}' cannot be filled ({choice.missing}); use drop_rows")
    return choice


def planned(name: str, features: list[FeaturePlan], excluded, dropped) -> TablePlan:
    """The plan of a table's feature columns, with the rules every path applies (in memory and streamed):
    a feature column is left, every column is embedded or none is, and constant columns are warned about."""
    if not features:
        raise DataError(f"'{name}' has no feature column left: every column but the target is excluded")
    embedded = [f.name for f in features if f.encode == "embed"]
    if embedded and len(embedded) < len(features):
        other = next(f.name for f in features if f.encode != "embed")
        raise DataError(
            f"'{name}' column {_shown(embedded[0])} is set to embed (integer ids for an Embedding node), but column "
            f"{_shown(other)} is not: the Dataset gives one x, so embed every feature column or one-hot the text columns"
        )
    plan = TablePlan(name, features, excluded, dropped)
    plan.warnings = [
        f"column {_shown(f.name)} is constant: it tells the model nothing{_hint(f.name, 'exclude')}"
        for f in features
        if f.kind == "constant"
    ]
    return plan


def _feature(
    table: Table,
    profile: ColumnProfile,
    choice: ColumnChoice,
    node_encode: str,
    node_missing: str,
    keep: np.ndarray,
    strict: bool,
) -> FeaturePlan:
    name, column = table.name, profile.name
    label = f"column '{column}'" if quotable(column) else f"column {table.columns.index(column) + 1}"
    if profile.kind == "empty":
        raise DataError(f"'{name}' {label} has no value at all; exclude it{_hint(column, 'exclude')}")
    if profile.bad_date_row is not None:
        raise DataError(bad_date(name, label, table.line_word, table.lines[profile.bad_date_row], profile.date_format))
    not_dates(name, label, profile.base, choice)
    if profile.stray_row is not None and choice.encode is None:
        raise DataError(
            f"'{name}' {label} is not numeric ({table.line_word} {table.lines[profile.stray_row]}) though "
            f"{profile.number_count} of its values are numbers: fix that value, or read its values as categories"
            f"{_hint(column, 'onehot')}"
        )
    if profile.base == "numeric":
        finite = np.isfinite(profile.numbers) | profile.missing
        if not finite.all():
            line = table.lines[int(np.flatnonzero(~finite)[0])]
            raise DataError(f"'{name}' {label} has a value that is not finite on {table.line_word} {line}; fill it in")
    if profile.base == "categorical" and choice.encode is None and looks_like_ids(profile):
        raise DataError(
            f"'{name}' {label} has {len(profile.categories)} different values in {int((~profile.missing).sum())} rows "
            f"(an id or free text?): exclude it{_hint(column, 'exclude')}, or encode it anyway{_hint(column, 'onehot')}"
        )
    encode = feature_encoding(profile.base, choice, node_encode)
    gaps = int((profile.missing & keep).sum())
    strategy = choice.missing or node_missing
    if strategy in ("mean", "median") and profile.base == "categorical":
        if choice.missing:  # the user named this column: say why not, never swap in another fill
            raise DataError(f"columns: '{column}: {strategy}' cannot fill {label}: it holds text (use most_frequent)")
        strategy = "most_frequent"  # node-wide mean/median: text columns take their most frequent value (docs)
    if strategy == "refuse":
        if gaps and strict:
            line = table.lines[int(np.flatnonzero(profile.missing & keep)[0])]
            raise DataError(
                f"'{name}' {label} has a missing value on {table.line_word} {line} ({gaps} in all); fill in or drop "
                f"missing values: set missing on the Dataset node (mean, median, most_frequent, drop_rows) or for "
                f"this column{_hint(column, 'median')}"
            )
        strategy = None
    if strategy == "drop_rows":
        strategy = None  # its rows are gone
    return FeaturePlan(
        column,
        profile.kind,
        profile.base,
        encode,
        strategy,
        profile.categories,
        gaps if strategy else 0,
        profile.date_format,
    )


def feature_encoding(base: str, choice: ColumnChoice, node_encode: str) -> str:
    """onehot, embed or number for text (the column's setting, else the node's); datetime; number otherwise."""
    if base == "categorical":
        return choice.encode or node_encode
    return "datetime" if base == "datetime" else "number"


def not_dates(name: str, label: str, base: str, choice: ColumnChoice) -> None:
    """A column marked datetime that holds numbers (a Parquet number column), or a timestamp column marked as
    categories: refused by name, never read otherwise than the user said."""
    if choice.encode == "datetime" and base != "datetime":
        raise DataError(f"'{name}' {label} is marked datetime but holds {base} values, not dates and times")
    if choice.encode in ("onehot", "embed", "number") and base == "datetime":
        raise DataError(
            f"'{name}' {label} holds dates and times, read as year, month, day, weekday, hour and days since 1970; "
            f"it cannot be encoded as {choice.encode} (exclude it, or leave its encoding unset)"
        )


def bad_date(name: str, label: str, line_word: str, line: int, date_format: str | None) -> str:
    """The message for a value of a column marked datetime that does not read as a date and time."""
    how = (
        "ISO 8601" if date_format == ISO_FORMAT else f"'{date_format}'" if date_format else "a date format pandas knows"
    )
    return f"'{name}' {label} is marked datetime but its value on {line_word} {line} is not a date and time ({how})"


def _shown(column: str) -> str:
    """'name' for a column whose name looks like a name; errors never quote other text from a file."""
    return f"'{column}'" if quotable(column) else "(unnamed)"


def _hint(column: str, words: str) -> str:
    """` ('age: median' in columns)`: the setting that does it, when the column's name may be quoted."""
    return f" ('{column}: {words}' in columns)" if quotable(column) else f" ({words} in columns)"


def _target_gaps(cells: np.ndarray) -> np.ndarray:
    if cells.dtype.kind in "biuf":
        return np.isnan(cells.astype(np.float64))
    return np.array([c is None or str(c).strip().lower() in MISSING for c in cells], dtype=bool)


def _fill_value(strategy: str, present: np.ndarray) -> float:
    if strategy == "mean":  # rounded once from the exact sum: a streamed table's chunks give the same mean
        return exact_mean(present)
    if strategy == "median":
        return float(np.median(present))
    values, counts = np.unique(present, return_counts=True)
    return float(values[int(np.argmax(counts))])  # ties: the smallest value (the first category by name)


def _filled(values: np.ndarray, fill: float | None) -> np.ndarray:
    return values if fill is None else np.where(np.isnan(values), fill, values)


def save_preprocessing(folder: str | os.PathLike, preprocessing: dict[str, Any]) -> Path:
    """Write `folder`/preprocessing.json whole (never half-written)."""
    path = Path(folder) / PREPROCESSING_FILE
    atomic_write_text(path, json.dumps(preprocessing, indent=2) + "\n")
    return path


def preprocessing_beside(weights: str | os.PathLike | None) -> dict[str, Any] | None:
    """The preprocessing beside a weights file, or None when there is none: `model.preprocessing.json` beside an
    export's `model.safetensors`, else the run folder's preprocessing.json."""
    if weights is None:
        return None
    path = next(
        (
            p
            for p in (Path(weights).with_suffix(".preprocessing.json"), Path(weights).parent / PREPROCESSING_FILE)
            if p.is_file()
        ),
        None,
    )
    if path is None:
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"'{path.name}' beside the weights cannot be read ({type(exc).__name__})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DataError(f"'{path.name}' beside the weights is not Netwright table preprocessing")
    return document
