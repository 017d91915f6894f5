"""What the trainer looks at besides the losses: accuracy, dead ReLUs, where a NaN started."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from engine.training.plan import AccuracyPlan


def correct_count(plan: AccuracyPlan, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Correct predictions in the batch, as a 0-dim tensor on the device (no sync)."""
    if plan.kind == "argmax":
        return (prediction.argmax(dim=1) == target).sum()
    return ((prediction.reshape(target.shape[0]) > 0) == (target > 0)).sum()


class DeadReluProbe:
    """Forward hooks on ReLU nodes: a unit is dead when it outputs 0 for every sample seen."""

    def __init__(self, modules: nn.Module, relus: Iterable[str]):
        self.alive: dict[str, torch.Tensor] = {}
        self._handles = []
        for node_id in relus:
            module = modules.get_submodule(node_id)
            self._handles.append(module.register_forward_hook(self._hook(node_id)))

    def _hook(self, node_id: str):
        def hook(module, args, output):
            fired = (output.detach().reshape(output.shape[0], -1) > 0).any(dim=0)
            seen = self.alive.get(node_id)
            self.alive[node_id] = fired if seen is None else seen | fired

        return hook

    def fractions(self) -> dict[str, float]:
        return {n: 1.0 - alive.float().mean().item() for n, alive in self.alive.items()}

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def _nonfinite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_floating_point() and not bool(torch.isfinite(value).all())
    if isinstance(value, (tuple, list)):
        return any(_nonfinite(v) for v in value)
    return False


@torch.no_grad()
def first_nonfinite_node(program: nn.Module, modules: nn.Module, inputs: dict[str, torch.Tensor],
                         order: list[str], sources: dict[str, str]) -> tuple[str | None, str]:
    """Re-run one forward pass with hooks; return (node id, why) for the first non-finite output.

    `sources` maps forward argument names to the node ids that provide them, so bad input
    data is blamed on the Dataset node. Hooks fire in execution (topological) order, so
    the first hit is the node where the values broke.
    """
    for name, tensor in inputs.items():
        if _nonfinite(tensor):
            return sources.get(name), "its data contains NaN or infinite values"
    hits: list[str] = []
    handles = []
    children = dict(modules.named_children())
    for node_id in order:
        module = children.get(node_id)
        if module is None:
            continue

        def hook(mod, args, output, node_id=node_id):
            if not hits and _nonfinite(output):
                hits.append(node_id)

        handles.append(module.register_forward_hook(hook))
    try:
        program(**inputs)
    finally:
        for handle in handles:
            handle.remove()
    if not hits:
        return None, ""
    node_id = hits[0]
    weights = [p for p in children[node_id].parameters()]
    if any(not bool(torch.isfinite(p).all()) for p in weights):
        return node_id, "its weights are NaN or infinite: an update diverged; lower the learning rate or clip gradients"
    return node_id, "its output overflowed; lower the learning rate, clip gradients or normalize its input"


def rms(values: list[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0
