"""Raw table rows -> a trained model's input, by a run's preprocessing.json (no pandas, no numpy).

`prepare_rows` is plain Python (only `math`, annotations the export can evaluate) so the `python`
export copies its source as it is: the exported module prepares rows exactly as this function does. It applies what
training fitted on its training rows only: fills for gaps, known categories, one-hot or ids,
then the features' standardization.
"""

from __future__ import annotations

import math

PREPARE_ROWS_SOURCE_NAMES = ("prepare_rows", "_prepare_value")


def prepare_rows(rows: list[dict], preprocessing: dict, first_row: int = 1) -> list[list[float]]:
    """Each row (a dict of column -> raw value, as read from the file) as the model's input values.

    Rows are numbered from `first_row` in messages. Gaps are filled as training filled them; a category training never saw becomes all zeros
    (one-hot), -1 (number) or id 0 of its column (embed). Raises ValueError naming the row and column
    for a gap training had no fill for, or a value that is not of the column's kind.
    """
    markers = set(preprocessing["missing_markers"])
    columns = preprocessing["columns"]
    scale = preprocessing.get("standardize")
    prepared = []
    for number, row in enumerate(rows, start=first_row):
        out: list[float] = []
        offset = 0
        for column in columns:
            try:
                value = _prepare_value(row.get(column["name"]), column, markers)
            except ValueError as exc:
                raise ValueError(f"row {number}, column '{column['name']}': {exc}") from None
            if column["encode"] == "onehot":
                out += [1.0 if value == i else 0.0 for i in range(len(column["categories"]))]
            elif column["encode"] == "embed":
                out.append(offset + (value + 1 if value >= 0 else 0))
                offset += len(column["categories"]) + 1
            else:
                out.append(value)
        if scale is not None:
            out = [(v - m) / s for v, m, s in zip(out, scale["mean"], scale["std"], strict=True)]
        prepared.append(out)
    return prepared


def _prepare_value(value: object, column: dict, markers: set) -> float:
    """A number, 0/1, or the category's index (-1 for one training never saw), with gaps filled."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip().lower() in markers:
        if column["fill"] is None:
            raise ValueError("a missing value, and training did not fill gaps in this column (refused or rows dropped)")
        value = column["fill"]
    if column["kind"] == "categorical":
        text = value if isinstance(value, str) else f"{value:g}"
        text = text.strip()
        categories = column["categories"]
        if text in categories and text not in column["unseen_in_training"]:
            return categories.index(text)
        return -1
    if column["kind"] == "boolean" and isinstance(value, str):
        words = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
        if value.strip().lower() not in words:
            raise ValueError("expected true/false or yes/no")
        return words[value.strip().lower()]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("expected a number") from None
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number
