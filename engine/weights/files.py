"""Weights files: .safetensors, or a .pt state_dict read with weights_only=True (never unpickling code)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from engine.fileio import atomic_write_bytes

STATE_DICT_SUFFIXES = (".pt", ".pth")


class WeightsFileError(Exception):
    """A weights file that is missing, unreadable or not a dict of tensors; the message is one line."""


def read_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors file, or a .pt state_dict read with weights_only=True (never unpickling code)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsFileError(f"{path}: no such weights file")
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise WeightsFileError(f"{path}: not a readable safetensors file ({_first_line(exc)})") from None
    if path.suffix in STATE_DICT_SUFFIXES:
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # an unpickling refusal or a corrupt file: one line either way
            raise WeightsFileError(f"{path}: not a readable state_dict ({_first_line(exc)})") from None
        if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
            raise WeightsFileError(f"{path}: expected a state_dict (a dict of tensors), received {type(data).__name__}")
        return data
    raise WeightsFileError(f"{path}: weights must be a .safetensors file or a .pt state_dict")


def write_weights(
    tensors: dict[str, torch.Tensor], path: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Write `tensors` as a .safetensors file; a crash mid-write leaves any earlier file whole."""
    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    atomic_write_bytes(path, data)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
