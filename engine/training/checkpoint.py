"""Checkpoints: weights as safetensors keyed `node_id.param`, the rest through torch.save.

A checkpoint is a folder with `weights.safetensors` and `state.pt` (optimizer, scheduler
and scaler state, random-number states, epoch, metric history). `state.pt` is read with
`torch.load(weights_only=True)`: it holds only tensors, numbers, strings, lists and dicts,
so loading a checkpoint never unpickles code.

A checkpoint is written all or nothing (`engine.fileio.atomic_write_folder`): a full disk or a
crash mid-save leaves the previous checkpoint whole, never new weights beside an old state.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from safetensors.torch import load_file, save
from torch import nn

from engine.fileio import atomic_write_folder, committed_folder, serialized
from engine.training.errors import TrainingError
from engine.weights import write_weights
from engine.weights.files import torch_load_refusal

WEIGHTS = "weights.safetensors"
STATE = "state.pt"


def weights_of(modules: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer, keyed `node_id.param` (the state_dict of the shared root)."""
    return {k: v.detach().contiguous() for k, v in modules.state_dict().items()}


def save_weights(modules: nn.Module, path: str | os.PathLike, metadata: dict[str, str] | None = None) -> None:
    write_weights(weights_of(modules), path, metadata)


def load_weights(modules: nn.Module, path: str | os.PathLike) -> None:
    """Load weights saved by `save_weights`; names and shapes must match exactly."""
    try:
        tensors = load_file(str(path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise TrainingError(f"cannot read weights from {path}: {exc}") from None
    try:
        modules.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise TrainingError(f"weights in {path} do not fit this graph: {first}") from None


def save_checkpoint(folder: str | os.PathLike, modules: nn.Module, state: dict[str, Any]) -> None:
    """Replace the checkpoint in `folder` as a whole; raises OSError naming the file that could not be written."""
    tensors = {k: v.cpu() for k, v in weights_of(modules).items()}
    atomic_write_folder(folder, {WEIGHTS: save(tensors), STATE: serialized(lambda f: torch.save(state, f))})


def load_checkpoint(folder: str | os.PathLike, modules: nn.Module) -> dict[str, Any]:
    """Load weights into `modules` and return the saved state (never unpickling objects)."""
    folder = committed_folder(folder)
    if not (folder / STATE).is_file() or not (folder / WEIGHTS).is_file():
        raise TrainingError(f"no checkpoint to resume from in {folder} (it needs {WEIGHTS} and {STATE})")
    try:
        state = torch.load(folder / STATE, map_location="cpu", weights_only=True)
    except Exception as exc:  # one line, and never torch's advice to retry with weights_only=False
        raise TrainingError(f"cannot read checkpoint {folder / STATE}: {torch_load_refusal(exc)}") from None
    load_weights(modules, folder / WEIGHTS)
    return state
