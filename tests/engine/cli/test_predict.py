"""`predict`: raw table rows in, the trained model's predictions out, prepared as training prepared its rows."""

from __future__ import annotations

import csv

import pytest
import torch

from engine.cli import main
from engine.data import load_dataset
from engine.export.model_part import model_part
from engine.graph.fileformat import dumps_graph
from tests.engine.export.test_table_predict import TABLE, table_graph, train_into


@pytest.fixture
def run(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(TABLE)
    graph = table_graph(path)
    (tmp_path / "run").mkdir()
    train_into(graph, tmp_path / "run")
    graph_file = tmp_path / "people.json"
    graph_file.write_text(dumps_graph(graph))
    return graph, graph_file, tmp_path / "run" / "weights.safetensors", path


def test_predictions_for_the_training_rows_are_the_trained_models(run, capsys):
    graph, graph_file, weights, path = run
    assert main(["predict", str(graph_file), "--weights", str(weights), "--rows", str(path)]) == 0
    printed = list(csv.reader(capsys.readouterr().out.splitlines()))
    data = load_dataset(graph.resolved_params("data"), seed=0)
    with torch.no_grad():
        expected = model_part(graph, None, weights).program(data.train_x).argmax(dim=1).tolist()
    assert printed[0] == ["row", "species"]
    assert printed[1:] == [[str(i), data.class_names[c]] for i, c in enumerate(expected, start=1)]


def test_new_rows_with_gaps_and_unseen_categories_and_a_tsv(run, tmp_path, capsys):
    _, graph_file, weights, _ = run
    rows = tmp_path / "new.tsv"
    rows.write_text("age\tcity\tmember\tincome\n33\tLyon\tno\t\n\tRome\tyes\t2000\n")
    out = tmp_path / "predictions.csv"
    args = ["predict", str(graph_file), "--weights", str(weights), "--rows", str(rows), "-o", str(out)]
    assert main(args) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and lines[0] == "row,species"
    assert all(line.split(",")[1] in ("bird", "cat", "dog") for line in lines[1:])


def test_mistakes_are_one_line(run, tmp_path, capsys):
    _, graph_file, weights, _ = run
    bad = tmp_path / "bad.csv"
    bad.write_text("age,city,member,income\n30,Rome,no,100\nabc,Rome,no,100\n")
    assert main(["predict", str(graph_file), "--weights", str(weights), "--rows", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == "error: 'bad.csv' row 2, column 'age': expected a number"
    stray = tmp_path / "elsewhere" / "weights.safetensors"
    stray.parent.mkdir()
    stray.write_bytes(weights.read_bytes())
    assert main(["predict", str(graph_file), "--weights", str(stray), "--rows", str(bad)]) == 2
    assert "no preprocessing.json beside" in capsys.readouterr().err
