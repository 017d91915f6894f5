"""Tiny graphs and data for training tests; `cuda`-marked tests skip where there is no CUDA."""

from __future__ import annotations

import pytest
import torch

from engine.data import load_dataset
from engine.graph import Graph
from engine.training import Callback
from tests.engine.conftest import make_mlp

TIMING_KEYS = ("samples_per_s", "epoch_time")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def tiny_mlp(hidden: int = 16, epochs: int = 2, batch_size: int = 64, **training) -> Graph:
    """The shared digits MLP, small and quick: ~23 batches an epoch."""
    graph = make_mlp(hidden)
    graph.nodes["adam"].params["lr"] = 0.01
    graph.training.update(epochs=epochs, batch_size=batch_size, device="cpu", **training)
    return graph


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """These models are tiny: see tests/conftest.py."""


@pytest.fixture(scope="session")
def digits():
    """digits_flat split with seed 0 (loading takes about a second, so once per session)."""
    return load_dataset(make_mlp().nodes["data"].params, 0)


def without_timing(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in history]


def params_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class Recorder(Callback):
    """Records every hook call as (hook name, detail)."""

    def __init__(self):
        self.calls: list[tuple[str, object]] = []
        self.batch_rows: list[dict] = []
        self.events = []

    def on_train_start(self, trainer):
        self.calls.append(("on_train_start", None))

    def on_epoch_start(self, trainer, epoch):
        self.calls.append(("on_epoch_start", epoch))

    def on_batch_end(self, trainer, batch):
        self.calls.append(("on_batch_end", batch.step))
        self.batch_rows += batch.rows

    def on_epoch_end(self, trainer, epoch, metrics):
        self.calls.append(("on_epoch_end", epoch))

    def on_event(self, trainer, event):
        self.calls.append(("on_event", event.kind))
        self.events.append(event)

    def on_train_end(self, trainer, result):
        self.calls.append(("on_train_end", result.status))

    def on_exception(self, trainer, error):
        self.calls.append(("on_exception", type(error).__name__))
