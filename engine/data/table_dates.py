"""Date-and-time columns of a table: detected conservatively, coded as seconds since 1970 (UTC), and turned
into numeric features: year, month, day, weekday (Monday 0), hour, and days since 1970-01-01.

A Parquet timestamp column is a date and time. A text column is one when the user says so (`when: datetime`
in the Dataset's columns), read with the format pandas guesses from its first value, or, unasked, only when
every value is an ISO 8601 date or date and time (2024-03-01, 2024-03-01 14:30, 2024-03-01T14:30:00Z), which
no locale reads two ways (03/01/2024 could be March or January: never guessed). A time without a zone is UTC.
The features are computed with integer calendar arithmetic in both numpy (training) and plain Python
(`table_rows.prepare_rows`, for predictions and the exports), so both give the same numbers.
"""

from __future__ import annotations

import re

import numpy as np

ISO_FORMAT = "ISO8601"
DATE_PARTS = ("year", "month", "day", "weekday", "hour", "days_since_1970")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")


def is_iso(values: list[str]) -> bool:
    """Every value an ISO 8601 date or date and time."""
    return bool(values) and all(_ISO.match(v) for v in values)


def guess_format(first: str) -> str | None:
    """The format to read a column the user marked as dates with: ISO 8601, or what pandas guesses from `first`."""
    if _ISO.match(first):
        return ISO_FORMAT
    from pandas.tseries.api import guess_datetime_format

    return guess_datetime_format(first)


def seconds(values: list[str], date_format: str) -> np.ndarray:
    """Seconds since 1970-01-01 UTC (whole microseconds) per value, NaN for one that does not read in the format."""
    import pandas as pd

    moments = pd.to_datetime(pd.Series(values, dtype=object), format=date_format, utc=True, errors="coerce")
    return _micros(moments) / 1e6


def timestamp_seconds(cells: np.ndarray) -> np.ndarray:
    """A datetime64 column (a Parquet timestamp) as seconds since 1970 UTC, NaN at NaT."""
    import pandas as pd

    moments = pd.Series(cells)
    moments = moments.dt.tz_convert("UTC") if moments.dt.tz is not None else moments.dt.tz_localize("UTC")
    return _micros(moments) / 1e6


def _micros(moments) -> np.ndarray:
    import pandas as pd

    micros = (moments - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    return micros.astype("float64").to_numpy()


def date_features(secs: np.ndarray) -> np.ndarray:
    """float64 [n, 6]: year, month, day, weekday, hour, days since 1970, from seconds since 1970 (finite)."""
    whole = np.floor(secs).astype(np.int64)
    days = whole // 86400
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    out = np.empty((len(secs), len(DATE_PARTS)))
    out[:, 0] = years.astype(np.int64) + 1970
    out[:, 1] = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    out[:, 2] = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    out[:, 3] = (days + 3) % 7  # 1970-01-01 was a Thursday
    out[:, 4] = (whole - days * 86400) // 3600
    out[:, 5] = secs / 86400
    return out


def as_text(secs: float) -> str:
    """A coded value as the preview shows it: 2024-03-01 14:30:00 (UTC)."""
    return str(np.datetime64(int(round(secs * 1e6)), "us").astype("datetime64[s]")).replace("T", " ")
