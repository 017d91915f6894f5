"""A model trained on a table: the run keeps its preprocessing and the exports prepare raw rows the same way."""

from __future__ import annotations

import csv
import importlib.util
import json
import time

import pytest
import torch

from engine.data import load_dataset
from engine.export import export_model
from engine.export.model_part import model_part
from engine.graph import Graph
from engine.runs.record import run_record, write_record
from engine.training.checkpoint import save_weights
from engine.training.trainer import Trainer
from tests.engine.export.graphs import chain

TABLE = """age,city,member,income,species
31,Paris,yes,1000,cat
NA,Rome,no,,dog
45,Paris,yes,3000,cat
22,,no,1500,dog
38,Berlin,yes,2500,bird
51,Rome,no,4000,cat
29,Paris,yes,,dog
40,Berlin,no,3500,cat
33,Rome,yes,2800,bird
27,Paris,no,1200,dog
"""


def table_graph(path, **settings) -> Graph:
    g = Graph(name="Table MLP")
    params = {"dataset": "csv", "path": str(path), "missing": "median", "val_split": 0.0, **settings}
    g.add_node("data.Dataset", params, node_id="data")
    g.add_node("layers.Linear", {"out_features": 8}, node_id="fc1")
    g.add_node("activations.ReLU", node_id="relu")
    g.add_node("layers.Linear", {"out_features": 3}, node_id="fc2")
    chain(g, ("data", "x"), ["fc1", "relu", "fc2"])
    g.training.update({"epochs": 2, "batch_size": 4})
    return g


def train_into(graph: Graph, folder) -> Trainer:
    """What `train` leaves in a run folder: weights, run.json and preprocessing.json."""
    trainer = Trainer(graph, settings=graph.training)
    trainer.fit()
    save_weights(trainer.modules, folder / "weights.safetensors", {"graph_hash": trainer.graph_hash})
    write_record(folder, run_record(graph, trainer, "completed", None, time.time()))
    return trainer


@pytest.fixture
def trained(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(TABLE)
    graph = table_graph(path)
    run = tmp_path / "run"
    run.mkdir()
    train_into(graph, run)
    return graph, run, path


def test_the_run_keeps_the_class_names_and_the_preprocessing(trained):
    graph, run, _ = trained
    record = json.loads((run / "run.json").read_text())
    saved = json.loads((run / "preprocessing.json").read_text())
    assert record["data"]["class_names"] == ["bird", "cat", "dog"]
    assert record["data"]["preprocessing"] == saved
    assert saved["target"] == {"column": "species", "task": "classification", "class_names": ["bird", "cat", "dog"]}
    assert saved["outputs"] == ["age", "city=Berlin", "city=Paris", "city=Rome", "member", "income"]


def test_the_python_export_predicts_from_raw_rows_as_the_trained_model_does(trained, tmp_path):
    graph, run, path = trained
    out = tmp_path / "export" / "people_model.py"
    result = export_model(graph, out, "python", weights=run / "weights.safetensors")
    assert result.ok and out.with_suffix(".preprocessing.json") in result.files
    spec = importlib.util.spec_from_file_location("people_model", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    # the trained model (compiled from the graph with the run's weights) on the rows training prepared
    data = load_dataset(graph.resolved_params("data"), seed=0)
    trained_model = model_part(graph, None, run / "weights.safetensors").program
    with torch.no_grad():
        expected = trained_model(data.train_x)
        exported = module.load_model()(torch.tensor(module.prepare_rows(rows, module.load_preprocessing())))
    assert torch.allclose(exported, expected, atol=1e-5)
    names = module.predict(rows)
    assert names == [data.class_names[i] for i in expected.argmax(dim=1).tolist()]
    assert module.predict([{"age": "", "city": "Lyon", "member": "no", "income": "2000"}])[0] in data.class_names


def test_every_format_carries_the_preprocessing_beside_it(trained, tmp_path):
    graph, run, _ = trained
    result = export_model(graph, tmp_path / "model.pt2", "pt2", weights=run / "weights.safetensors")
    beside = tmp_path / "model.preprocessing.json"
    assert result.ok and beside in result.files
    assert json.loads(beside.read_text()) == json.loads((run / "preprocessing.json").read_text())


def test_an_export_without_a_run_writes_no_preprocessing(trained, tmp_path):
    graph, _, _ = trained
    result = export_model(graph, tmp_path / "model.pt", "pt")
    assert result.ok and not (tmp_path / "model.preprocessing.json").exists()


def test_embedded_text_columns_export_as_ids_for_the_embedding(tmp_path):
    path = tmp_path / "cats.csv"
    path.write_text(
        "colour,size,y\n" + "".join(f"{['red', 'blue'][i % 2]},{'SML'[i % 3]},{'ab'[i % 2]}\n" for i in range(12))
    )
    g = Graph(name="Embedded table")
    g.add_node(
        "data.Dataset", {"dataset": "csv", "path": str(path), "categorical": "embed", "val_split": 0.0}, node_id="data"
    )
    g.add_node("layers.Embedding", {"embedding_dim": 3}, node_id="emb")
    g.add_node("layers.Flatten", node_id="flat")
    g.add_node("layers.Linear", {"out_features": 2}, node_id="fc")
    chain(g, ("data", "x"), ["emb", "flat", "fc"])
    g.training.update({"epochs": 2, "batch_size": 4})
    run = tmp_path / "run"
    run.mkdir()
    train_into(g, run)
    out = tmp_path / "embedded.py"
    assert export_model(g, out, "python", weights=run / "weights.safetensors").ok
    spec = importlib.util.spec_from_file_location("embedded", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = load_dataset(g.resolved_params("data"), seed=0)
    with torch.no_grad():
        expected = model_part(g, None, run / "weights.safetensors").program(data.train_x)
    with open(path, newline="") as handle:
        names = module.predict(list(csv.DictReader(handle)))
    assert names == [data.class_names[i] for i in expected.argmax(dim=1).tolist()]
