"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def one_torch_thread():
    """Tiny models on a 2-core machine: one intra-op thread is faster, and immune to a busy
    machine (two threads beside pytest's own work ran several times slower here)."""
    import torch  # here, not at module level: some tests check that torch is not loaded

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
