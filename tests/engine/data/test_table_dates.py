"""Date-and-time columns: detected conservatively, turned into year ... hour and days since 1970, fitted on the
training rows, and prepared alike for new rows, in memory and streamed."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data import DataError, csv_file, load_dataset
from engine.data.table_dates import DATE_PARTS, date_features, seconds
from engine.data.table_rows import prepare_rows


def visits(n: int = 60) -> list[dict[str, str]]:
    rng = np.random.default_rng(0)
    start = np.datetime64("2023-01-01T00:00:00")
    rows = []
    for i in range(n):
        moment = str(start + np.timedelta64(int(rng.integers(0, 400 * 86400)), "s")).replace("T", " ")
        rows.append({"when": "" if i % 13 == 0 else moment, "amount": f"{rng.normal():.3f}", "label": "ab"[i % 2]})
    return rows


def write(path, rows) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def raw_features(data) -> np.ndarray:
    """The training rows before standardization."""
    scale = data.preprocessing["standardize"]
    return data.train_x.numpy().astype(np.float64) * scale["std"] + scale["mean"]


def test_the_parts_of_a_date_and_time():
    secs = seconds(["2024-03-01 14:30", "1969-12-31T23:59:59.5Z", "2024-03-01T14:30:00+02:00"], "ISO8601")
    expected = [[2024, 3, 1, 4, 14], [1969, 12, 31, 2, 23], [2024, 3, 1, 4, 12]]  # Friday 4, Wednesday 2 (Monday 0)
    assert date_features(secs)[:, :5].tolist() == expected
    assert date_features(secs)[0, 5] == pytest.approx(19783.604, abs=1e-3)


def test_an_iso_column_becomes_date_features_fitted_on_training_rows(tmp_path):
    path = tmp_path / "visits.csv"
    write(path, visits())
    data = load_dataset({"dataset": "csv", "path": str(path), "missing": "median", "val_split": 0.25}, seed=1)
    column = data.preprocessing["columns"][0]
    assert (column["kind"], column["encode"], column["format"]) == ("datetime", "datetime", "ISO8601")
    assert data.preprocessing["outputs"][:6] == [f"when.{p}" for p in DATE_PARTS]
    assert data.table_notes[0].startswith("missing values filled: 'when' ")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    # the fill is the median of the training rows' times alone; new rows are prepared as training prepared its own
    gaps = [r for r in rows if not r["when"]]
    assert gaps and np.allclose(
        prepare_rows(gaps[:1], data.preprocessing)[0][:6],
        prepare_rows(
            [{"when": pd.Timestamp(column["fill"], unit="s").isoformat(), "amount": gaps[0]["amount"]}],
            data.preprocessing,
        )[0][:6],
        atol=1e-6,
    )
    assert abs(raw_features(data)[:, 0] - 2023.5).max() <= 1  # years 2023 and 2024
    whole = load_dataset({"dataset": "csv", "path": str(path), "missing": "median", "val_split": 0.0}, seed=1)
    prepared = np.array(prepare_rows(rows, whole.preprocessing), dtype=np.float32)
    assert np.allclose(prepared, whole.train_x.numpy(), atol=1e-5)


def test_only_unambiguous_text_is_read_as_dates_unless_marked(tmp_path):
    path = tmp_path / "days.csv"
    path.write_text("day,label\n" + "".join(f"0{1 + i % 3}/0{1 + i % 2}/2024,{'ab'[i % 2]}\n" for i in range(12)))
    params = {"dataset": "csv", "path": str(path), "val_split": 0.0}
    assert load_dataset(params).preprocessing["columns"][0]["kind"] == "categorical"  # March 1 or January 3?
    marked = load_dataset({**params, "columns": "day: datetime"}).preprocessing["columns"][0]
    assert (marked["kind"], marked["format"]) == ("datetime", "%m/%d/%Y")
    lines = path.read_text().splitlines()
    lines[5] = "someday,a"
    path.write_text("\n".join(lines) + "\n")
    for streaming in ("off", "on"):
        with pytest.raises(DataError, match=r"^'days.csv' column 'day' is marked datetime but its value on line 6 "):
            load_dataset({**params, "columns": "day: datetime", "streaming": streaming})


def test_a_number_column_marked_datetime_is_refused(tmp_path):
    path = tmp_path / "n.parquet"
    pd.DataFrame({"n": [1, 2, 3, 4], "label": list("abab")}).to_parquet(path)
    with pytest.raises(DataError, match=r"^'n.parquet' column 'n' is marked datetime but holds numeric values"):
        load_dataset({"dataset": "csv", "path": str(path), "columns": "n: datetime"})
    text = tmp_path / "n.csv"
    text.write_text("n,label\n1,a\n2,b\n3,a\n4,b\n")
    with pytest.raises(DataError, match=r"^'n.csv' column 'n' is marked datetime but its value on line 2 is not a"):
        load_dataset({"dataset": "csv", "path": str(text), "columns": "n: datetime"})


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_streamed_date_columns_give_what_memory_gives(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(csv_file, "STREAM_CHUNK_ROWS", 16)
    rows = visits()
    path = tmp_path / f"visits.{kind}"
    if kind == "csv":
        write(path, rows)
    else:  # a timestamp column with a zone, row groups of 16
        frame = pd.DataFrame(rows)
        frame["when"] = pd.to_datetime(frame["when"].replace("", None)).dt.tz_localize("Europe/Paris")
        frame["amount"] = frame["amount"].astype(float)
        frame.to_parquet(path, row_group_size=16)
    params = {"dataset": "csv", "path": str(path), "missing": "mean", "stream_workers": 1}
    whole = load_dataset({**params, "streaming": "off"}, seed=2)
    streamed = load_dataset({**params, "streaming": "on"}, seed=2)
    assert whole.preprocessing["columns"][0]["kind"] == "datetime"
    assert json.dumps(streamed.preprocessing) == json.dumps(whole.preprocessing)
    assert torch.equal(streamed.train_x[:], whole.train_x) and torch.equal(streamed.val_x[:], whole.val_x)
