"""Weights files: .safetensors, or a .pt state_dict read with weights_only=True (never unpickling code)."""

from __future__ import annotations

import os
import re
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
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise WeightsFileError(f"{path}: not a readable safetensors file ({_first_line(exc)})") from None
    elif path.suffix in STATE_DICT_SUFFIXES:
        try:
            tensors = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # an unpickling refusal or a corrupt file: one line either way
            raise WeightsFileError(f"{path}: {torch_load_refusal(exc)}") from None
        if not isinstance(tensors, dict) or not all(isinstance(v, torch.Tensor) for v in tensors.values()):
            raise WeightsFileError(
                f"{path}: expected a state_dict (a dict of tensors), received {type(tensors).__name__}"
            )
    else:
        raise WeightsFileError(f"{path}: weights must be a .safetensors file or a .pt state_dict")
    refuse_nonfinite(tensors, path)
    return tensors


def refuse_nonfinite(tensors: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """NaN or infinite weights make every output NaN: refuse them here, naming the tensors, rather
    than let training fail later with advice about the learning rate."""
    bad = []
    for key, value in tensors.items():
        if not (value.is_floating_point() or value.is_complex()):
            continue
        finite = torch.isfinite(value)
        if not bool(finite.all()):
            nan = int(torch.isnan(value).sum())
            parts = [f"{nan} NaN"] if nan else []
            if value.numel() - int(finite.sum()) - nan:
                parts.append(f"{value.numel() - int(finite.sum()) - nan} infinite")
            bad.append(f"{key} ({' and '.join(parts)} of {value.numel()} values)")
    if bad:
        more = f" and {len(bad) - 3} more tensors" if len(bad) > 3 else ""
        raise WeightsFileError(
            f"{path}: weights that are not finite: {', '.join(bad[:3])}{more}; they would make every output "
            "NaN (were they saved from a run that diverged?)"
        )


def torch_load_refusal(exc: BaseException) -> str:
    """Why `torch.load(weights_only=True)` refused a file, in one line: never torch's advice to load
    it with weights_only=False, which would run whatever code the file holds."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    unsafe = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if unsafe:
        return (
            f"holds a Python object ({unsafe.group(1)}), not only tensors: refused, since loading it could run "
            "code; save a state_dict of tensors (model.state_dict()) or a .safetensors file"
        )
    if "weights_only" in text or "Weights only load failed" in text:
        return "not a readable state_dict (a damaged file, or not written by torch.save)"
    if isinstance(exc, EOFError):
        return "not a readable state_dict (the file is empty or cut short)"
    reason = _first_line(exc)
    return f"not a readable state_dict ({reason.split('. ')[0] if len(reason) > 120 else reason})"


def write_weights(
    tensors: dict[str, torch.Tensor], path: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Write `tensors` as a .safetensors file; a crash mid-write leaves any earlier file whole."""
    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    atomic_write_bytes(path, data)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
