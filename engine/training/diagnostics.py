"""What the trainer looks at besides the losses: accuracy, dead units, where a NaN started."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from engine.training.plan import AccuracyPlan


def correct_mask(plan: AccuracyPlan, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Which predictions are right (a bool tensor shaped like `target`), on the device."""
    if plan.kind == "argmax":
        # max(1).indices is argmax(1) (the first maximum, NaN included; tested), and on the CPU it takes
        # 25 us where argmax takes 40 for an epoch of the digits MLP's 1437x10 predictions.
        return prediction.max(dim=1).indices == target
    return (prediction.reshape(target.shape[0]) > 0) == (target > 0)


def correct_count(plan: AccuracyPlan, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Correct predictions in the batch, as a 0-dim tensor on the device (no sync)."""
    return correct_mask(plan, prediction, target).sum()


class PendingBatches:
    """Per-batch losses and accuracy inputs of the batches since the last log row, on the device.

    Counting correct predictions batch by batch costs three small ops a step (argmax, compare,
    sum) and is most of the metrics' cost for a small model; kept here, the predictions of all
    pending batches are counted together (a few ops per log row, at most every COUNT_EVERY
    batches so memory stays bounded), and losses and counts reach the host in one transfer.
    A step whose objective is its one loss has read it already (the finiteness check's `item()`,
    `OptimizerStep.loss_value`): that float is kept, not the tensor, and nothing is stacked for it.
    `loss_slots[j]` is where the plan's j-th loss sits among the losses one batch adds (every
    optimizer's, in stepping order); `acc_slots` the same, with its AccuracyPlan, for accuracy.
    """

    COUNT_EVERY = 64

    def __init__(self, loss_slots: list[int], acc_slots: list[tuple[int, AccuracyPlan]]):
        self.loss_slots, self.acc_slots = loss_slots, acc_slots
        self.steps: list[tuple[int, int]] = []  # (step number, batch size) of each pending batch
        self.losses: list[torch.Tensor | float] = []
        self.predictions: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []
        self.counts: list[torch.Tensor] = []  # [batches, accuracies] for batches already counted
        self.counted = 0

    def add(self, step, out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor]) -> None:
        """One optimizer's outputs for the current batch (call `end_batch` after the last one)."""
        # Kept without detach() (two dispatcher calls a step): they are only read under no_grad, and
        # after backward their graphs hold no saved tensors, so memory stays at a few nodes a batch.
        if step.loss_value is not None:  # read by the step's finiteness check: the same number
            self.losses.append(step.loss_value)
        else:
            for loss in step.losses:
                self.losses.append(out[loss])
        for a in step.accuracy:
            self.predictions.append(out[a.prediction])
            self.targets.append(batch[a.target])

    def end_batch(self, step_no: int, size: int) -> None:
        self.steps.append((step_no, size))
        if len(self.steps) - self.counted >= self.COUNT_EVERY:
            self._count()

    @torch.no_grad()
    def _count(self) -> None:
        batches = len(self.steps) - self.counted
        if not self.acc_slots or not batches:
            return
        sizes = [size for _, size in self.steps[self.counted :]]
        per_batch = len(self.predictions) // batches
        columns = []
        for slot, plan in self.acc_slots:
            hits = correct_mask(
                plan, torch.cat(self.predictions[slot::per_batch]), torch.cat(self.targets[slot::per_batch])
            )
            if len(set(sizes)) == 1:
                columns.append(hits.reshape(batches, -1).sum(1))
            elif len(set(sizes[:-1])) == 1:  # the epoch's last batch is smaller: 3 ops, not one per batch
                cut = sum(sizes[:-1])
                head = hits[:cut].reshape(batches - 1, -1).sum(1)
                columns.append(torch.cat([head, hits[cut:].sum().reshape(1)]))
            else:
                columns.append(torch.stack([h.sum() for h in hits.split(sizes)]))
        self.counts.append(torch.stack(columns, 1))
        self.predictions.clear()
        self.targets.clear()
        self.counted = len(self.steps)

    @torch.no_grad()
    def take(self) -> list[list[float]]:
        """One row per pending batch: its losses (the plan's order), then its correct counts; clears."""
        batches, losses = len(self.steps), self.losses
        held = [i for i, v in enumerate(losses) if not isinstance(v, float)]  # loss tensors, not read yet
        parts = [torch.stack([losses[i] for i in held]).double()] if held else []
        if self.acc_slots:
            self._count()
            parts.append(torch.cat(self.counts).reshape(-1).double())  # [batches, accuracies], row by row
        numbers = (parts[0] if len(parts) == 1 else torch.cat(parts)).tolist() if parts else []  # one transfer
        values = list(losses)
        for i, number in zip(held, numbers, strict=False):
            values[i] = number
        correct, width, nacc = numbers[len(held) :], len(values) // batches, len(self.acc_slots)
        slots = None if self.loss_slots == list(range(width)) else self.loss_slots
        table = []
        for b in range(batches):
            row = values[b * width : (b + 1) * width]
            if slots is not None:
                row = [row[k] for k in slots]
            table.append(row + correct[b * nacc : (b + 1) * nacc])
        self.steps.clear()
        self.losses.clear()
        self.counts.clear()
        self.counted = 0
        return table


class DeadReluProbe:
    """The activations whose units can die (trait `dies`: ReLU, ReLU6, Hardswish...): a unit is dead
    when it outputs exactly 0 for every sample seen, where such an activation's gradient is 0.

    The trainer hands it the activations its validation forward returns (`observe`); given
    `modules` and node ids, it hangs forward hooks on them instead.
    """

    def __init__(self, modules: nn.Module | None = None, relus: Iterable[str] = ()):
        self.peak: dict[str, torch.Tensor] = {}  # per unit, the largest |output| seen
        self._handles = []
        for node_id in relus:
            module = modules.get_submodule(node_id)
            self._handles.append(module.register_forward_hook(self._hook(node_id)))

    def observe(self, node_id: str, output: torch.Tensor) -> None:
        """One batch of `node_id`'s outputs, batch first."""
        # |output|'s max over the batch: a unit is alive once it is nonzero (Hardswish between -3 and 0
        # too). On the CPU abs+amax over dim 0 takes 28 us for 360x128 where aminmax took 390 and
        # count_nonzero 190: it was most of the validation's cost on the digits MLP.
        peak = output.detach().reshape(output.shape[0], -1).abs().amax(0)
        seen = self.peak.get(node_id)
        self.peak[node_id] = peak if seen is None else torch.maximum(seen, peak)

    def _hook(self, node_id: str):
        def hook(module, args, output):
            self.observe(node_id, output)

        return hook

    def fractions(self) -> dict[str, float]:
        names, alive = self.alive_counts()
        return dict(zip(names, self.to_fractions([int(a) for a in alive]), strict=True))

    def alive_counts(self) -> tuple[list[str], list[torch.Tensor]]:
        """The ReLU node ids seen and, per node, how many of its units were ever nonzero (0-dim, on the device)."""
        return list(self.peak), [torch.count_nonzero(peak) for peak in self.peak.values()]

    def to_fractions(self, alive: list[float]) -> list[float]:
        """Dead fractions from `alive_counts` once read: (units - alive) / units."""
        return [(peak.numel() - a) / peak.numel() for peak, a in zip(self.peak.values(), alive, strict=True)]

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
def first_nonfinite_node(
    program: nn.Module, modules: nn.Module, inputs: dict[str, torch.Tensor], order: list[str], sources: dict[str, str]
) -> tuple[str | None, str]:
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
