"""The data of a worker's last trial, kept for its next trial when that one loads the same data.

A sweep's worker trains trial after trial in one process, and most sweeps vary the model or the
optimizer (a learning rate, a batch size, a layer's width), not the data: each trial read, split
and standardized the same dataset again (the digits: ~9 ms of a 0.3 s trial, bench/bench_sweep.py).
The key is everything `load_dataset` is given, as the Trainer gives it: the Dataset node's
resolved params and the run's seed, plus the size and modification time of a file the params
name. A trial that sweeps a data setting (val_split, num_samples, the seed) differs in the key
and loads its own. One entry: a worker holds one dataset, as one run does.

Loading reads numpy generators seeded by the params, never torch's global generator, so a trial
given the kept data builds the same initial weights and trains exactly as if it had loaded it
(tests/engine/sweeps/test_data_cache.py checks this against a Trainer that loads its own).
Streamed image folders are not kept: they decode batch by batch and hold their own workers.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch

from engine.data import load_dataset
from engine.data.load import LoadedData
from engine.graph import Graph
from engine.graph.model import path_params
from engine.graph.training import default_training
from engine.training.plan import make_plan


class TrialData:
    """`load(graph)`: the data a Trainer on `graph` would load, kept from the previous call when equal."""

    def __init__(self) -> None:
        self._key: str | None = None
        self._data: LoadedData | None = None
        self.loads = 0  # how many times the data was read (the rest were reused)

    def load(self, graph: Graph) -> LoadedData:
        dataset = make_plan(graph).dataset
        params = graph.resolved_params(dataset)
        seed = int({**default_training(), **graph.training}["seed"])  # what the Trainer seeds its load with
        key = _key(graph, dataset, params, seed)
        if key is not None and key == self._key and self._data is not None:
            return self._data
        self._key = self._data = None  # the previous data is freed before the next is read
        data = load_dataset(params, seed)
        self.loads += 1
        if key is not None and _in_memory(data):
            self._key, self._data = key, data
        return data


def _key(graph: Graph, dataset: str, params: dict[str, Any], seed: int) -> str | None:
    """The params, the seed and each named file's stat, as text; None when they cannot be told apart reliably."""
    files = {}
    for name, value in path_params(graph.nodes[dataset].type_id, params):
        try:
            stat = os.stat(value)
        except OSError:
            return None  # the load reports the missing file; nothing to keep
        files[name] = [stat.st_size, stat.st_mtime_ns]
    try:
        return json.dumps({"params": params, "seed": seed, "files": files}, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _in_memory(data: LoadedData) -> bool:
    parts = (data.train_x, data.train_y, data.val_x, data.val_y, data.test_x, data.test_y)
    return all(part is None or isinstance(part, torch.Tensor) for part in parts)
