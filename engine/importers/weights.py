"""Weights into an existing graph (transfer learning): read a file, match its tensors, write the graph's.

The matching itself (by id, then by name and shape) lives in `engine.weights`, below
training, because starting a training run from such weights uses it too.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.graph import Graph
from engine.weights import Match, WeightsReport, match_weights, read_weights, write_weights

__all__ = ["Match", "WeightsReport", "import_weights", "match_weights"]


def import_weights(graph: Graph, path: str | os.PathLike, out: str | os.PathLike | None = None) -> WeightsReport:
    """Match the weights in `path` to `graph`; with `out`, write the graph's weights as safetensors."""
    report = match_weights(graph, read_weights(path))
    if out is not None:
        write_weights(report.tensors, Path(out), {"format": "netwright-weights", "source": Path(path).name})
    return report
