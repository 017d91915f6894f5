"""A run's record (`run.json`): what is needed to reproduce and judge a training run.

The command line's `train` and the editor's training process both write it, so it lives
here, below the command line, and takes plain values rather than parsed arguments.
"""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.data.table_prep import save_preprocessing
from engine.fileio import atomic_write_text
from engine.graph import Graph, dumps_graph
from engine.runs.store import RECORD
from engine.training.threads import ThreadChoice


def run_record(
    graph: Graph,
    trainer,
    status: str,
    error: str | None,
    seconds: float,
    graph_file: str = "",
    resumed: bool = False,
    threads: ThreadChoice | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce and judge the run `trainer` made on `graph`."""
    history = trainer.history
    restored = trainer.best_weights is not None and status != "diverged" and trainer.settings["early_stopping"]
    final = (
        history[trainer.monitor.best_epoch - 1]
        if restored and trainer.monitor.best_epoch
        else (history[-1] if history else {})
    )
    return {
        "status": status,
        "error": error,
        "graph_file": str(graph_file),
        "graph": json.loads(dumps_graph(graph)),
        "settings": applied_settings(trainer),
        "seed": trainer.seed,
        "device": str(trainer.device),
        "world_size": 1 if trainer.dist is None else trainer.dist.world_size,
        # intra-op CPU threads, and why that many (engine/training/threads.py)
        "threads": threads.facts() if threads is not None else None,
        "data_fingerprint": trainer.data.fingerprint,
        # the class names (confusion matrix labels) and a table's preprocessing, fitted on the training rows
        # (also written whole as preprocessing.json beside the weights, for the exports)
        "data": {"class_names": list(trainer.data.class_names), "preprocessing": trainer.data.preprocessing},
        "graph_hash": trainer.graph_hash,
        # What the trainer ran, from its plan (not worked out again): optimizers in stepping order with
        # their scopes and updated layers, frozen layers, full batch, and the batch size each step took.
        "plan": {**trainer.plan.facts(), "batch_size": trainer.batch_size},
        "resumed": bool(resumed),
        "epochs_completed": len(history),
        "best_epoch": trainer.monitor.best_epoch or None,
        "monitor": trainer.monitor.name,
        "restored_best_weights": bool(restored),
        "final_metrics": final,
        # scored once after training on samples neither training nor validation saw ({} without a test set)
        "test_metrics": trainer.test_metrics,
        "seconds": seconds,
        "versions": versions(),
    }


def write_record(folder: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Replace `folder`/run.json as a whole (never half-written); raises OSError naming it."""
    path = Path(folder) / RECORD
    preprocessing = (record.get("data") or {}).get("preprocessing")
    if preprocessing:  # first, so a run.json that names it never lies
        save_preprocessing(folder, preprocessing)
    atomic_write_text(path, json.dumps(record, indent=2, allow_nan=True, default=str) + "\n")
    return path


def applied_settings(trainer) -> dict[str, Any]:
    """The settings as the run applied them: a full-batch optimizer (Gradient Descent) steps on the whole
    training set, so the batch size recorded is that, not a `batch_size` it never used."""
    settings = dict(trainer.settings)
    if trainer.plan.full_batch:
        settings["batch_size"] = trainer.batch_size
    return settings


def versions() -> dict[str, str]:
    """The versions of Netwright, Python and the libraries that change a run's numbers."""
    import numpy
    import safetensors
    import sklearn
    import torch

    try:
        netwright = metadata.version("netwright")
    except metadata.PackageNotFoundError:
        netwright = "source"
    return {
        "netwright": netwright,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "safetensors": safetensors.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
    }
