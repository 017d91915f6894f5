"""What the data preview shows of a table: each column's kind and handling, and samples as the file has them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.data.table_dates import as_text
from engine.data.table_prep import TablePlan


@dataclass(frozen=True)
class TableColumn:
    """One column of the table as the preview lists it."""

    name: str
    kind: str  # numeric, boolean, datetime, categorical, constant, empty, or excluded
    handling: str  # how it becomes the model's input: "one-hot, 3 categories; gaps: median", "excluded"
    numbers: np.ndarray | None  # its values for statistics (numbers, 0/1, days since 1970), None for text
    gaps_left: int  # NaN left: gaps no setting fills yet
    filled: int  # gaps filled by the chosen rule


def table_columns(plan: TablePlan, coded: np.ndarray) -> list[TableColumn]:
    """The feature columns in file order, then the excluded ones."""
    columns = []
    for index, feature in enumerate(plan.features):
        values = coded[:, index].astype(np.float64)
        gaps = int(np.isnan(values).sum())
        if feature.base == "categorical":
            handling = {"onehot": "one-hot", "embed": "embedded (ids)", "number": "numbered"}[feature.encode]
            handling += f", {len(feature.categories)} categories"
        elif feature.base == "datetime":
            handling = "year, month, day, weekday, hour, days since 1970 (standardized)"
        else:
            handling = "0/1" if feature.base == "boolean" else "standardized" if not plan.embeds else "number"
        if feature.fill:
            handling += f"; gaps: {feature.fill.replace('_', ' ')}"
        numbers = None if feature.base == "categorical" else values / 86400 if feature.base == "datetime" else values
        left = 0 if feature.fill else gaps
        columns.append(TableColumn(feature.name, feature.kind, handling, numbers, left, gaps if feature.fill else 0))
    for name in plan.excluded:
        columns.append(TableColumn(name, "excluded", "excluded", None, 0, 0))
    return columns


def table_cells(plan: TablePlan, samples: np.ndarray) -> list[list[str]]:
    """Sample rows as text: numbers, category names, and an empty cell for a gap."""
    rows = []
    for row in samples:
        cells = []
        for feature, value in zip(plan.features, row, strict=True):
            if np.isnan(value):
                cells.append("")
            elif feature.base == "categorical":
                cells.append(feature.categories[int(value)])
            elif feature.base == "boolean":
                cells.append("true" if value else "false")
            elif feature.base == "datetime":
                cells.append(as_text(float(value)))
            else:
                cells.append(f"{value:.4g}")
        rows.append(cells)
    return rows
