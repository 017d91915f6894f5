"""A model trained streamed on a table with a date column: the python export prepares raw rows as training did."""

from __future__ import annotations

import csv
import importlib.util
import json

import pytest
import torch

from engine.data import csv_file, load_dataset
from engine.export import export_model
from engine.export.model_part import model_part
from tests.engine.export.test_table_predict import table_graph, train_into

TABLE = "when,city,amount,species\n" + "".join(
    f"2024-0{1 + i % 9}-{10 + i % 18} {i % 24:02d}:15,{'Paris Rome Berlin'.split()[i % 3]},"
    f"{'' if i % 7 == 3 else 100 + 13 * i},{'cat dog bird'.split()[i % 3]}\n"
    for i in range(30)
)


@pytest.mark.slow  # trains a model
def test_the_python_export_of_a_streamed_run_reads_dates_as_training_did(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_file, "STREAM_CHUNK_ROWS", 8)
    path = tmp_path / "visits.csv"
    path.write_text(TABLE)
    graph = table_graph(path, streaming="on", stream_workers=1)
    run = tmp_path / "run"
    run.mkdir()
    train_into(graph, run)
    saved = json.loads((run / "preprocessing.json").read_text())
    in_memory = load_dataset({**graph.resolved_params("data"), "streaming": "off"}, seed=0)
    assert saved == json.loads(json.dumps(in_memory.preprocessing))  # streamed or not: the same preprocessing
    assert saved["columns"][0]["kind"] == "datetime" and saved["outputs"][:2] == ["when.year", "when.month"]
    out = tmp_path / "export" / "visits_model.py"
    assert export_model(graph, out, "python", weights=run / "weights.safetensors").ok
    spec = importlib.util.spec_from_file_location("visits_model", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    trained_model = model_part(graph, None, run / "weights.safetensors").program
    with torch.no_grad():
        expected = trained_model(in_memory.train_x)
        exported = module.load_model()(torch.tensor(module.prepare_rows(rows, module.load_preprocessing())))
    assert torch.allclose(exported, expected, atol=1e-4)
