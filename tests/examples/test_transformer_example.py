"""The transformer text classifier (Embedding -> Positional Embedding -> encoder layer -> Mean -> Linear) trains
on integer token ids (its exports are checked with every example's in tests/engine/export)."""

from __future__ import annotations

import math

import pytest
import torch

from engine.data import load_dataset
from engine.training.trainer import Trainer
from tests.examples.conftest import example

pytestmark = pytest.mark.slow  # a real training run


def test_transformer_text_classifier_learns_token_ids():
    graph = example("transformer_text")
    data = load_dataset(graph.nodes["data"].params, graph.training.get("seed", 0))
    assert data.train_x.dtype == torch.int64 and data.train_x.shape[1:] == (12,)
    result = Trainer(graph).fit()
    history = result.history
    assert len(history) == 3 and all(math.isfinite(row["train_loss"]) for row in history)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert max(row["val_acc"] for row in history) >= 0.95  # chance is 0.25
