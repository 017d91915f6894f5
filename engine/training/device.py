"""Pick the device a run uses, and refuse settings it cannot honour (never drop them silently)."""

from __future__ import annotations

import torch

from engine.training.errors import TrainingError


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str) -> torch.device:
    """auto: CUDA, then MPS, then the CPU. An explicit device that is missing is a TrainingError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise TrainingError(
            f"device cuda was asked for, but CUDA is not available (torch {torch.__version__}, "
            f"{build}); use --device cpu or auto"
        )
    if name.startswith("cuda:"):
        return _indexed_cuda(name)
    if name == "mps" and not _mps_available():
        raise TrainingError(
            "device mps was asked for, but Apple's MPS backend is not available here; use --device cpu or auto"
        )
    if name not in ("cpu", "cuda", "mps"):
        raise TrainingError(f"unknown device {name!r}: expected auto, cpu, cuda or mps")
    return torch.device(name)


def _indexed_cuda(name: str) -> torch.device:
    """`cuda:N`: one particular GPU (the editor lists each one)."""
    index = name.partition(":")[2]
    if not index.isdigit():
        raise TrainingError(f"unknown device {name!r}: expected cuda:0, cuda:1, ...")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if int(index) >= count:
        raise TrainingError(
            f"device {name} was asked for, but this machine has {count} CUDA device(s); "
            "use auto, cpu or one of those listed"
        )
    return torch.device(name)


def check_mixed_precision(enabled: bool, device: torch.device) -> bool:
    """Mixed precision runs on CUDA only; asking for it elsewhere is refused, not ignored."""
    if enabled and device.type != "cuda":
        raise TrainingError(
            f"mixed precision needs a CUDA device, but this run uses {device.type}; "
            "turn mixed_precision off in the training settings (it would change nothing "
            "on this device)"
        )
    return enabled
