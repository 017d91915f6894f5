"""What a dataset looks like before any training: a few samples, the class balance, column statistics,
and the problems worth fixing first, each naming its column or class.

Read from the source's arrays as they are on disk (before standardization and before the split),
so the numbers are in the data's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from engine.data.balance import rare_class_warning, rare_classes
from engine.data.describe import source_of, with_defaults
from engine.data.files import os_error_message
from engine.data.info import DataError
from engine.data.subset import subset_raw
from engine.data.table_preview import TableColumn, table_cells, table_columns

PREVIEW_SAMPLES = 16


@dataclass(frozen=True)
class ColumnStats:
    name: str
    mean: float
    std: float
    minimum: float
    maximum: float
    missing: int  # NaN values (in a table: gaps no setting fills yet)
    kind: str = ""  # tables: numeric, boolean, categorical, constant, empty or excluded
    handling: str = ""  # tables: how the column becomes the model's input (one-hot, gaps: median, excluded)
    filled: int = 0  # tables: gaps the chosen rule fills


@dataclass
class DataPreview:
    dataset: str
    task: str
    kind: str  # images, table, sequence or tokens
    num_samples: int
    sample_shape: tuple[int, ...]
    samples: np.ndarray  # up to PREVIEW_SAMPLES samples of x, one per class in turn where there are classes
    sample_targets: list[str]  # each sample's class name or target value
    class_counts: dict[str, int] = field(default_factory=dict)
    columns: list[ColumnStats] = field(default_factory=list)
    target_stats: ColumnStats | None = None  # regression and forecasting targets
    rare_classes: list[str] = field(default_factory=list)  # too few samples (or none) to learn or judge
    warnings: list[str] = field(default_factory=list)
    sample_cells: list[list[str]] = field(default_factory=list)  # tables: the samples as the file has them
    report: list[str] = field(default_factory=list)  # tables: how many gaps were filled, rows dropped


def preview_dataset(params: dict[str, Any], seed: int = 0, count: int = PREVIEW_SAMPLES) -> DataPreview:
    """The preview of the data the Dataset node's params select; DataError (one line) if unusable."""
    params = with_defaults(params)
    try:
        source = source_of(params)
        raw = subset_raw((source.preview_read or source.read)(params, seed), params["classes"])
    except OSError as exc:
        raise DataError(os_error_message(exc)) from None
    x, y, info = raw.x, raw.y, raw.info
    kind = "table" if raw.table is not None else _kind(x, info.x.is_labels)
    labelled = info.y.is_labels
    names = list(info.class_names) or [str(i) for i in range(int(y.max()) + 1 if len(y) and labelled else 0)]
    picks = _picks(y, labelled, count, seed)
    # a listed image folder (engine/data/streaming.py) decodes these few samples only, here
    samples, unreadable = x[picks].decode_for_preview() if hasattr(x, "decode_for_preview") else (x[picks], [])
    targets = [names[int(y[i])] if labelled else _number(y[i]) for i in picks]
    preview = DataPreview(
        dataset=params["dataset"],
        task=info.task,
        kind=kind,
        num_samples=len(x),
        sample_shape=tuple(x.shape[1:]),
        samples=samples,
        sample_targets=targets,
    )
    if labelled:
        counts = np.bincount(y.astype(np.int64), minlength=len(names))
        preview.class_counts = {name: int(c) for name, c in zip(names, counts, strict=False)}
    else:
        preview.target_stats = _stats("target", y.reshape(len(y), -1)[:, 0])
    if raw.table is not None:  # a table's columns as read, before encoding: kinds, gaps, categories
        preview.columns = [_table_stats(c) for c in table_columns(raw.table, x)]
        preview.sample_cells = table_cells(raw.table, preview.samples)
        preview.report = raw.table.report_lines()
    elif kind == "table":
        column_names = raw.feature_names or tuple(f"feature {i + 1}" for i in range(x.shape[1]))
        preview.columns = [_stats(name, x[:, i]) for i, name in enumerate(column_names)]
    preview.warnings = _warnings(preview, x)
    if skipped := (*raw.skipped, *unreadable):
        shown = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        preview.warnings.insert(0, f"{len(skipped)} unreadable files were skipped: {shown}")
    return preview


def _kind(x: np.ndarray, token_ids: bool) -> str:
    """tokens (ids for an Embedding), table [N, F], sequence [N, T, F] or images [N, C, H, W]."""
    if token_ids:
        return "tokens"
    return {2: "table", 3: "sequence"}.get(x.ndim, "images")


def _picks(y: np.ndarray, labelled: bool, count: int, seed: int) -> np.ndarray:
    """Sample indices: classes in turn (so every class shows), else spread over the data; seeded."""
    rng = np.random.default_rng(seed)
    if not labelled or not len(y):
        return np.sort(rng.choice(len(y), size=min(count, len(y)), replace=False))
    by_class = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    picks: list[int] = []
    for turn in range(count):
        for members in by_class:
            if turn < len(members) and len(picks) < count:
                picks.append(int(members[turn]))
        if len(picks) >= count or turn >= max(len(m) for m in by_class):
            break
    return np.array(picks, dtype=np.int64)


def _stats(name: str, values: np.ndarray) -> ColumnStats:
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    missing = int(np.isnan(values).sum())
    if not finite.size:
        return ColumnStats(name, float("nan"), float("nan"), float("nan"), float("nan"), missing)
    return ColumnStats(
        name, float(finite.mean()), float(finite.std()), float(finite.min()), float(finite.max()), missing
    )


def _table_stats(column: TableColumn) -> ColumnStats:
    if column.numbers is not None:
        stats = _stats(column.name, column.numbers)
    else:
        stats = ColumnStats(column.name, *(float("nan"),) * 4, 0)
    return replace(stats, missing=column.gaps_left, kind=column.kind, handling=column.handling, filled=column.filled)


def _number(value: Any) -> str:
    flat = np.asarray(value).reshape(-1)
    return ", ".join(f"{v:.4g}" for v in flat[:3]) + (" ..." if flat.size > 3 else "")


def _warnings(preview: DataPreview, x: np.ndarray) -> list[str]:
    warnings = []
    for column in preview.columns:
        if column.missing:
            # a table's gaps left: no setting fills them, and training refuses them until one does
            fix = ": choose missing on the Dataset node, or this column's in columns" if column.kind else ""
            warnings.append(f"column '{column.name}' has {column.missing} missing values (NaN){fix}")
        elif column.std == 0 or column.kind == "constant":
            value = f" ({column.mean:.4g})" if np.isfinite(column.mean) else ""
            warnings.append(f"column '{column.name}' is constant{value}: it tells the model nothing")
    # a streamed folder (not an ndarray) is not scanned: decoded pixels are never NaN
    if preview.kind != "table" and isinstance(x, np.ndarray) and x.dtype.kind == "f" and np.isnan(x).any():
        warnings.append(f"{int(np.isnan(x).sum())} feature values are missing (NaN)")
    counts = preview.class_counts
    preview.rare_classes = rare_classes(counts)
    warnings += [rare_class_warning(name, counts[name], preview.num_samples) for name in preview.rare_classes]
    return warnings
