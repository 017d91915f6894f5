"""A worker keeps its last trial's data for the next trial with the same data settings."""

from __future__ import annotations

import os

import pytest
import torch

from engine.graph import Graph
from engine.sweeps import apply_values
from engine.sweeps.data_cache import TrialData
from tests.engine.conftest import make_mlp


def test_a_trial_sweeping_the_optimizer_or_the_batch_size_reuses_the_data_and_a_data_setting_reloads():
    graph = make_mlp(hidden=8)
    cache = TrialData()
    first = cache.load(apply_values(graph, {"adam.lr": 0.01}))
    assert cache.load(apply_values(graph, {"adam.lr": 0.001, "training.batch_size": 64})) is first
    assert cache.load(apply_values(graph, {"fc1.out_features": 16})) is first
    assert cache.loads == 1
    other_split = cache.load(apply_values(graph, {"data.val_split": 0.3}))
    assert other_split is not first and len(other_split.val_x) != len(first.val_x)
    other_seed = cache.load(apply_values(graph, {"training.seed": 7}))
    assert cache.loads == 3 and other_seed.fingerprint not in (first.fingerprint, other_split.fingerprint)
    assert cache.load(apply_values(graph, {"training.seed": 7, "adam.lr": 0.1})) is other_seed


def _csv_graph(path) -> Graph:
    graph = Graph(name="line")
    graph.add_node("data.Dataset", {"dataset": "csv", "path": str(path), "target_column": "y"}, node_id="data")
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="fc")
    graph.add_node("losses.MSE", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (("data", "x", "fc", "in"), ("fc", "out", "loss", "prediction"), ("data", "y", "loss", "target")):
        graph.connect(*edge)
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def test_a_data_file_changed_between_trials_is_read_again(tmp_path):
    path = tmp_path / "line.csv"
    path.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)))
    graph = _csv_graph(path)
    cache = TrialData()
    first = cache.load(graph)
    assert cache.load(graph) is first
    path.write_text("x,y\n" + "".join(f"{i},{3 * i}\n" for i in range(30)))
    os.utime(path, ns=(1, 1))  # a new size and time, whatever the file system's clock resolution
    second = cache.load(graph)
    assert cache.loads == 2 and len(second.train_x) + len(second.val_x) == 30


@pytest.mark.slow  # trains twice (one epoch of the digits)
def test_a_trial_given_the_kept_data_trains_exactly_as_one_that_loads_its_own():
    from engine.training.trainer import Trainer

    graph = make_mlp(hidden=8)
    graph.training.update(epochs=1, batch_size=128)
    cache = TrialData()
    cache.load(apply_values(graph, {"adam.lr": 0.01}))  # the previous trial's
    trial_graph = apply_values(graph, {"adam.lr": 0.003})
    kept = Trainer(trial_graph, data=cache.load(trial_graph))
    assert cache.loads == 1
    own = Trainer(trial_graph)
    for a, b in zip(kept.modules.parameters(), own.modules.parameters(), strict=True):
        assert torch.equal(a, b)  # the same initial weights: loading draws nothing from torch's generator
    kept.fit(), own.fit()
    timing = ("samples_per_s", "epoch_time")
    assert [{k: v for k, v in row.items() if k not in timing} for row in kept.history] == [
        {k: v for k, v in row.items() if k not in timing} for row in own.history
    ]
    assert kept.data.fingerprint == own.data.fingerprint
