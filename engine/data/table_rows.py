"""Raw table rows -> a trained model's input, by a run's preprocessing.json (no pandas, no numpy).

`prepare_rows` is plain Python (only `math`, annotations the export can evaluate) so the `python`
export copies its source as it is: the exported module prepares rows exactly as this function does. It applies what
training fitted on its training rows only: fills for gaps, known categories, one-hot or ids,
then the features' standardization.
"""

from __future__ import annotations

import math

PREPARE_ROWS_SOURCE_NAMES = ("prepare_rows", "_prepare_value", "_date_seconds", "_date_parts")


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
            elif column["encode"] == "datetime":
                out += _date_parts(value)
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
        if column["kind"] == "datetime":
            return value  # seconds since 1970, as fitted
    if column["kind"] == "datetime":
        return _date_seconds(value, column["format"])
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


def _date_seconds(value: object, date_format: str) -> float:
    """Seconds since 1970-01-01 UTC (whole microseconds) of a date and time: text in the column's format (ISO8601:
    ISO 8601), or a datetime; without a zone it is UTC."""
    from datetime import UTC, datetime  # here, not at the top: the python export copies this function's source

    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text) if date_format == "ISO8601" else datetime.strptime(text, date_format)
        except ValueError:
            shown = "an ISO 8601 date and time" if date_format == "ISO8601" else f"a date and time as '{date_format}'"
            raise ValueError(f"expected {shown}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return ((delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds) / 10**6


def _date_parts(secs: float) -> list[float]:
    """year, month, day, weekday (Monday 0), hour, days since 1970 of seconds since 1970 UTC."""
    from datetime import date, timedelta

    whole = math.floor(secs)
    days = whole // 86400
    day = date(1970, 1, 1) + timedelta(days=days)
    return [day.year, day.month, day.day, (days + 3) % 7, (whole - days * 86400) // 3600, secs / 86400]
