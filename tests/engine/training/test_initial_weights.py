"""Starting a run from weights trained elsewhere: matched by id, optionally only some nodes."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.graph import save_graph
from engine.training.checkpoint import save_weights
from engine.training.errors import TrainingError
from engine.training.initial_weights import load_initial_weights
from engine.training.trainer import Trainer
from tests.engine.conftest import make_mlp

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def trained_weights(tmp_path):
    source = Trainer(make_mlp(), settings={"epochs": 1, "seed": 3})
    with torch.no_grad():
        for parameter in source.modules.parameters():
            parameter.fill_(0.5)
    path = tmp_path / "w.safetensors"
    save_weights(source.modules, path)
    return path


def test_only_the_named_nodes_take_weights(trained_weights):
    trainer = Trainer(make_mlp(), settings={"epochs": 1})
    fc2_before = trainer.modules.fc2.weight.detach().clone()
    report = load_initial_weights(trainer, trained_weights, ["fc1"])
    assert torch.all(trainer.modules.fc1.weight == 0.5)
    assert torch.equal(trainer.modules.fc2.weight, fc2_before)
    assert report.unmatched["fc2.weight"].startswith("not asked for")


def test_all_nodes_by_default_and_errors_are_clear(trained_weights, tmp_path):
    trainer = Trainer(make_mlp(), settings={"epochs": 1})
    load_initial_weights(trainer, trained_weights)
    assert torch.all(trainer.modules.fc2.bias == 0.5)
    with pytest.raises(TrainingError, match="no such node in the graph"):
        load_initial_weights(trainer, trained_weights, ["ghost"])
    with pytest.raises(TrainingError, match="no such weights file"):
        load_initial_weights(trainer, tmp_path / "missing.safetensors")


@pytest.mark.slow
def test_cli_init_weights(trained_weights, tmp_path):
    graph_file = tmp_path / "mlp.json"
    graph = make_mlp()
    graph.training["epochs"] = 1
    save_graph(graph, graph_file)

    def train(*extra):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "engine",
                "train",
                str(graph_file),
                "--out",
                str(tmp_path / "run"),
                "--no-progress",
                *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    ok = train("--init-weights", str(trained_weights), "--init-nodes", "fc1")
    assert ok.returncode == 0, ok.stderr
    assert "fc1.weight <- fc1.weight (by id)" in ok.stderr
    refused = train("--init-nodes", "fc1")
    assert refused.returncode == 2 and refused.stderr.strip() == "error: --init-nodes needs --init-weights"


def test_layers_of_equal_shapes_without_matching_names_stop_the_run_instead_of_a_guess(tmp_path):
    from safetensors.torch import save_file

    trainer = Trainer(make_mlp(hidden=64), settings={"epochs": 1})  # fc1 [64, 64]
    path = tmp_path / "other_names.safetensors"
    tensors = {f"encoder.{i}.weight": torch.full((64, 64), float(i)) for i in (0, 1)}
    tensors |= {f"encoder.{i}.bias": torch.zeros(64) for i in (0, 1)}
    save_file(tensors, str(path))  # two layers fc1 could take, named nothing like it
    with pytest.raises(TrainingError, match="cannot match 1 layer of the graph without guessing") as caught:
        load_initial_weights(trainer, path)
    assert (
        "\n" not in str(caught.value) and "fc1 (" in str(caught.value) and "encoder.0, encoder.1" in str(caught.value)
    )
