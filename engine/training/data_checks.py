"""Refuse validation data holding NaN or infinity before a run starts.

A NaN in the training data stops the run at its first batch (the divergence check blames the
Dataset). A NaN in the validation data does not: every validation loss is NaN, nothing ever
counts as an improvement, and the run "completes" with no best checkpoint. The readers refuse
such files; this catches data handed to the Trainer directly, and names where it is.
"""

from __future__ import annotations

from typing import Any

from engine.training.errors import TrainingError


def check_finite_validation_data(data: Any, dataset_id: str) -> None:
    """TrainingError naming the tensor and the first validation sample holding a NaN or infinity."""
    import torch

    for name in ("x", "y"):
        tensor = getattr(data, f"val_{name}")
        if not isinstance(tensor, torch.Tensor):  # streamed images: pixels decode to 0..1, never NaN
            continue
        if not tensor.is_floating_point() or len(tensor) == 0:
            continue
        finite = torch.isfinite(tensor.reshape(len(tensor), -1)).all(dim=1)
        if bool(finite.all()):
            continue
        bad = int((~finite).sum())
        first = int((~finite).nonzero()[0, 0])
        raise TrainingError(
            f"Dataset `{dataset_id}`: the validation {name} has {bad} sample{'s' if bad > 1 else ''} with NaN "
            f"or infinite values (the first is validation sample {first}); fill in or drop them in the data"
        )
