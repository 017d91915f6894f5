"""Training the shipped examples to their targets. One thread: on a 2-core CI machine two
torch threads beside pytest's own work are slower, not faster."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.graph import Graph, load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture(autouse=True, scope="package")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def example(name: str) -> Graph:
    return load_graph(EXAMPLES / f"{name}.json")
