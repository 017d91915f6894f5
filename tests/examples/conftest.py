"""Training the shipped examples to their targets, one torch thread (see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.graph import Graph, load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


def example(name: str) -> Graph:
    return load_graph(EXAMPLES / f"{name}.json")
