"""Tables larger than memory: streamed chunk by chunk, split, fitted and encoded exactly as when read whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data import DataError, csv_file, load_dataset, streaming_split
from engine.data.streaming import STREAM_ABOVE_ENV
from engine.data.table_rows import prepare_rows
from engine.data.table_stream_split import StreamedTable
from engine.graph import Graph
from engine.training import Trainer

SETTINGS = {"missing": "median", "columns": "city: most_frequent; notes: exclude; member: most_frequent; score: mean"}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(csv_file, "STREAM_CHUNK_ROWS", 37)  # 300 rows: 9 chunks


def messy_rows(n: int = 300) -> list[dict[str, str]]:
    """Numbers with gaps, text with gaps, yes/no with NA, an id-like text column, a text target."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        rows.append(
            {
                "age": "" if i % 17 == 0 else f"{rng.normal(40, 10):.3f}",
                "city": "" if i % 23 == 0 else str(rng.choice(["paris", "rome", "oslo", "lima"])),
                "member": str(rng.choice(["yes", "no"])) if i % 29 else "NA",
                "score": str(rng.integers(0, 100)),
                "notes": f"note {i}",
                "label": str(rng.choice(["cat", "dog", "bird"])),
            }
        )
    return rows


@pytest.fixture
def messy_csv(tmp_path) -> Path:
    path = tmp_path / "people.csv"
    rows = messy_rows()
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def params(path: Path, streaming: str, **more) -> dict:
    return {"dataset": "csv", "path": str(path), "streaming": streaming, "stream_workers": 2, **SETTINGS, **more}


def both(path: Path, seed: int = 3, **more):
    return load_dataset(params(path, "off", **more), seed), load_dataset(params(path, "on", **more), seed)


def test_a_streamed_table_is_split_fitted_and_encoded_exactly_as_in_memory(messy_csv):
    whole, streamed = both(messy_csv, test_set="held_out")
    assert isinstance(streamed.train_x, StreamedTable) and not isinstance(whole.train_x, StreamedTable)
    assert json.dumps(streamed.preprocessing) == json.dumps(whole.preprocessing)
    assert streamed.table_notes == whole.table_notes and streamed.info == whole.info
    for part in ("train", "val", "test"):  # the same rows in each split, in the same order, encoded alike
        assert torch.equal(getattr(streamed, f"{part}_x")[:], getattr(whole, f"{part}_x")), part
        assert torch.equal(getattr(streamed, f"{part}_y"), getattr(whole, f"{part}_y")), part
    assert (len(streamed.train_x), len(streamed.val_x), len(streamed.test_x)) == (209, 61, 30)
    assert streamed.fingerprint == load_dataset(params(messy_csv, "on", test_set="held_out"), 3).fingerprint
    # what an inspection does with a split (undo the standardization, read it as an array) reads it whole
    raw = streamed.val_x * streamed.feature_std + streamed.feature_mean
    assert torch.equal(raw, whole.val_x * whole.feature_std + whole.feature_mean)
    assert np.array_equal(np.asarray(streamed.val_x), whole.val_x.numpy())


def test_raw_rows_prepared_by_the_saved_preprocessing_give_the_streamed_rows(messy_csv):
    streamed = load_dataset(params(messy_csv, "on", val_split=0.0), seed=0)
    with open(messy_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    prepared = np.array(prepare_rows(rows, streamed.preprocessing), dtype=np.float32)
    assert np.allclose(prepared, streamed.train_x[:].numpy(), atol=1e-5)


def test_a_parquet_table_streams_by_row_group(tmp_path):
    frame = pd.DataFrame(messy_rows(120)).replace("", None)
    frame["age"] = pd.to_numeric(frame["age"])
    frame["score"] = frame["score"].astype(np.int64)
    path = tmp_path / "people.parquet"
    frame.to_parquet(path, row_group_size=25)
    whole, streamed = both(path)
    assert streamed.train_x.lazy.transform.source.num_chunks == 5
    assert json.dumps(streamed.preprocessing) == json.dumps(whole.preprocessing)
    assert torch.equal(streamed.val_x[:], whole.val_x) and torch.equal(streamed.train_y, whole.train_y)


@pytest.mark.parametrize(
    ("change", "settings", "message"),
    [
        ({250: {"age": "forty"}}, {}, r"column 'age' is not numeric \(line 252\) though 281 of its values"),
        ({}, {"missing": "refuse", "columns": "notes: exclude"}, r"column 'age' has a missing value on line 2 \("),
        ({200: {"label": "NA"}}, {}, r"target column 'label' has a missing value on line 202;"),
        ({100: {"score": "inf"}}, {}, r"column 'score' has a value that is not finite on line 102"),
    ],
)
def test_bad_values_are_named_as_when_read_whole(tmp_path, change, settings, message):
    rows = messy_rows()
    for index, cells in change.items():
        rows[index].update(cells)
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for mode in ("off", "on"):
        with pytest.raises(DataError, match=r"^'bad.csv' " + message):
            load_dataset({**params(path, mode), **settings}, seed=0)


def test_a_short_row_in_a_later_chunk_is_named(messy_csv):
    lines = messy_csv.read_text().splitlines()
    lines[120] = "1,2"
    messy_csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"^'people.csv' line 121 has 2 values but the header has 6 columns$"):
        load_dataset(params(messy_csv, "on"), seed=0)


def test_every_training_row_comes_once_an_epoch_with_its_label_in_full_batches(messy_csv, monkeypatch):
    data = load_dataset(params(messy_csv, "on"), seed=0)
    inputs = {"x": data.train_x, "y": data.train_y}
    expected = {tuple(r) + (int(y),) for r, y in zip(data.train_x[:].tolist(), data.train_y.tolist(), strict=True)}
    orders = [torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(s)) for s in (1, 2)]
    by_workers = [list(streaming_split.stream_batches(inputs, order, 32)) for order in orders]
    data.train_x.close()
    for batches in by_workers:
        assert [len(b["y"]) for b in batches] == [32] * 7 + [16]  # 240 rows: the trainer's batch count
        seen = [tuple(r) + (int(y),) for b in batches for r, y in zip(b["x"].tolist(), b["y"].tolist(), strict=True)]
        assert len(seen) == 240 and set(seen) == expected
    assert not torch.equal(by_workers[0][0]["x"], by_workers[1][0]["x"])  # each epoch its own order
    monkeypatch.setattr(streaming_split, "may_start_processes", lambda: False)  # the editor's daemonic child
    in_process = list(streaming_split.stream_batches(inputs, orders[0], 32))
    assert data.train_x._shared["loader"] is None
    for a, b in zip(in_process, by_workers[0], strict=True):  # the worker processes change nothing
        assert torch.equal(a["x"], b["x"]) and torch.equal(a["y"], b["y"])
    in_file_order = list(streaming_split.stream_batches(inputs, torch.arange(len(data.train_y)), 32))
    rows = data.train_x.lazy.stream.kept_rows[data.train_x.lazy.indices]
    assert torch.equal(torch.cat([b["x"] for b in in_file_order]), data.train_x[np.argsort(rows)])


def test_auto_streams_a_table_above_the_memory_budget(messy_csv, monkeypatch):
    assert not isinstance(load_dataset(params(messy_csv, "auto")).train_x, StreamedTable)
    monkeypatch.setenv(STREAM_ABOVE_ENV, "0.001")  # 1 KB; 300 rows x 6 columns x 4 bytes is 7 KB
    assert isinstance(load_dataset(params(messy_csv, "auto")).train_x, StreamedTable)


@pytest.mark.slow  # trains a model
def test_training_on_a_streamed_table_runs_and_saves_the_same_preprocessing(messy_csv):
    graph = Graph(name="streamed table")
    graph.add_node("data.Dataset", params(messy_csv, "on", test_set="held_out"), node_id="data")
    graph.add_node("layers.Linear", {"out_features": 3}, node_id="fc")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "fc", "in"),
        ("fc", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update(epochs=2, batch_size=16, device="cpu", seed=3)
    trainer = Trainer(graph)
    result = trainer.fit()
    assert result.status == "completed" and result.test_metrics["test_samples"] == 30
    assert trainer.data.train_x._shared["loader"] is not None  # batches came through the DataLoader's workers
    assert trainer.data.preprocessing == load_dataset(params(messy_csv, "off", test_set="held_out"), 3).preprocessing


def test_the_preview_of_a_streamed_table_plans_every_row_and_shows_the_first(messy_csv, monkeypatch):
    from engine.data.preview import preview_dataset

    monkeypatch.setattr(csv_file, "PREVIEW_ROWS", 100)
    settings = {"missing": "refuse", "columns": "notes: exclude"}  # gaps not filled yet: shown, not refused
    whole = preview_dataset({**params(messy_csv, "off"), **settings})
    streamed = preview_dataset({**params(messy_csv, "on"), **settings})
    assert [(c.name, c.kind, c.handling) for c in streamed.columns] == [
        (c.name, c.kind, c.handling) for c in whole.columns
    ]
    assert streamed.num_samples == 100 and whole.num_samples == 300
    assert streamed.report[-1] == "streamed: samples and statistics from the first 100 of 300 rows"
    age = next(c for c in streamed.columns if c.name == "age")
    assert age.missing == 6  # gaps left on rows 1, 18, 35, ... of the first 100
