"""The test set is scored once, after training, with the final weights, and reported apart."""

from __future__ import annotations

import json

import torch

from engine.cli import main
from engine.data import load_dataset
from engine.graph import save_graph
from engine.training import Trainer
from tests.engine.training.conftest import Recorder, tiny_mlp


def test_test_metrics_equal_a_direct_evaluation_of_the_final_model():
    graph = tiny_mlp(epochs=2)
    graph.nodes["data"].params.update(test_set="held_out", test_split=0.15)
    data = load_dataset(graph.nodes["data"].params, 0)
    recorder = Recorder()
    trainer = Trainer(graph, data=data, callbacks=[recorder])
    result = trainer.fit()
    assert result.test_metrics == trainer.test_metrics and result.test_metrics["test_samples"] == len(data.test_x)
    assert all(not key.startswith("test_") for row in result.history for key in row)  # never seen while training
    trainer.modules.eval()
    with torch.no_grad():
        out = trainer.eval_program(
            **{name: (data.test_x if port == "x" else data.test_y) for name, (_, port) in trainer.plan.inputs.items()}
        )
    loss_id = trainer.plan.losses[0]
    assert abs(result.test_metrics["test_loss"] - float(out[loss_id])) < 1e-5
    logits = out[trainer.plan.accuracy[0].prediction]
    accuracy = (logits.argmax(1) == data.test_y).float().mean().item()
    assert abs(result.test_metrics["test_acc"] - accuracy) < 1e-6


def test_without_a_test_set_there_are_no_test_metrics():
    assert Trainer(tiny_mlp(epochs=1)).fit().test_metrics == {}


def test_cli_train_prints_and_records_the_test_score(tmp_path, capsys):
    graph = tiny_mlp(epochs=1)
    graph.nodes["data"].params.update(test_set="held_out", test_split=0.2)
    path = tmp_path / "g.json"
    save_graph(graph, path)
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("test set"))
    assert "held out before training" in line and "scored once, after training" in line and "accuracy" in line
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["test_metrics"]["test_samples"] == 360 and 0 <= record["test_metrics"]["test_acc"] <= 1
