"""One snapshot of a network on the probe: every node's output, weights, histograms, gradients.

A snapshot is one forward pass of the probe samples with forward hooks on every node's module
(the compiled program has one child module per node, named by node id), in eval mode, and one
`torch.autograd.grad` per optimizer of its own losses over the layers it updates. It comes in
two halves: `take` (the pass and copies of the weights, where the model trains) and `summarise`
(bounding and histograms, on any thread: the recorder runs it beside the training). Nothing here
touches `.grad`, the optimizers, batch-norm running statistics or the global random state, so
recording leaves the run exactly as it would have been without it.

Sizes are bounded by `Limits`: an output keeps at most `max_channels` channels (images) or
`max_units` units, images larger than `max_side` are average-pooled down, and a weight tensor
keeps its leading rows up to `max_weight_values` values. Histograms are always of the full
tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from engine.inspection.store import key


@dataclass(frozen=True)
class Limits:
    max_channels: int = 16
    max_units: int = 512
    max_side: int = 32
    max_steps: int = 128
    max_weight_values: int = 65_536
    bins: int = 48


@dataclass
class GradientSource:
    """One optimizer's objective (its losses and their weights) and the nodes whose weights it updates."""

    losses: dict[str, float]
    nodes: list[str]


@dataclass
class RawSnapshot:
    """What `Capture.take` copied out of the network, on the CPU, before any summary (by node id)."""

    outputs: dict[str, torch.Tensor]
    params: dict[str, dict[str, torch.Tensor]]
    stats: dict[str, dict[str, torch.Tensor]]  # batch-norm running statistics
    grads: dict[str, list[torch.Tensor]]
    probe_size: int


@dataclass
class NodeEntry:
    """What the index says about one recorded node (see store.py's module docstring)."""

    id: str
    type: str
    recorded: list[str] = field(default_factory=list)
    activation_shape: list[int] | None = None
    full_shape: list[int] | None = None
    weights: dict[str, list[int]] = field(default_factory=dict)
    weights_full: dict[str, list[int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "recorded": self.recorded,
            "activation_shape": self.activation_shape,
            "full_shape": self.full_shape,
            "weights": self.weights,
            "weights_full": self.weights_full,
        }


class Capture:
    """Takes snapshots of `modules` running `program` on fixed probe arguments."""

    def __init__(
        self,
        modules: nn.Module,
        program: nn.Module,
        node_types: dict[str, str],
        gradients: list[GradientSource] = (),
        output: str | None = None,
        softmax: bool = False,
        limits: Limits = Limits(),
    ):
        children = dict(modules.named_children())
        self.modules = modules
        self.program = program
        self.node_ids = [n for n in node_types if n in children]  # graph order, computing nodes only
        self.children = {n: children[n] for n in self.node_ids}
        self.node_types = node_types
        self.gradients = list(gradients)
        self.output = output
        self.softmax = softmax
        self.limits = limits
        self.entries: dict[str, NodeEntry] = {}
        # looked up once: a run's modules keep their parameters and buffers (the values change, not the tensors)
        self._params = {n: dict(m.named_parameters()) for n, m in self.children.items()}
        self._stats = {
            n: {name: b for name, b in m.named_buffers() if name.startswith("running_")}
            for n, m in self.children.items()
        }

    def snapshot(self, args: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every recorded tensor, keyed as in store.key, on the CPU; fills `entries` as it goes."""
        return self.summarise(self.take(args))

    def take(self, args: dict[str, torch.Tensor]) -> RawSnapshot:
        """The network's state on the probe now: the only part that must run where the model trains.

        The outputs and gradients are new tensors; weights and running statistics are copied, so
        the training may go on while `summarise` (bounding, histograms) runs on another thread.
        """
        outputs: dict[str, torch.Tensor] = {}
        handles = [
            module.register_forward_hook(self._keep(node_id, outputs)) for node_id, module in self.children.items()
        ]
        was_training = self.modules.training
        self.modules.eval()
        try:
            with torch.enable_grad():
                self.program(**args)
            grads = self._gradients(outputs)
        finally:
            for handle in handles:
                handle.remove()
            self.modules.train(was_training)
        with torch.no_grad():
            # weights and statistics are copied (the next update changes them in place); outputs and
            # gradients are this pass's own tensors, which nothing changes once it is over
            params = {n: {name: _cpu(p) for name, p in ps.items()} for n, ps in self._params.items()}
            stats = {n: {name: _cpu(b) for name, b in bs.items()} for n, bs in self._stats.items()}
            outputs = {n: v.detach().to("cpu") for n, v in outputs.items()}
            grads = {n: [g.to("cpu") for g in gs] for n, gs in grads.items()}
        probe_size = next(iter(args.values())).shape[0] if args else 0
        return RawSnapshot(outputs, params, stats, grads, probe_size)

    def summarise(self, raw: RawSnapshot) -> dict[str, torch.Tensor]:
        """The recorded tensors of one `take`, cut to the limits, with their histograms (any thread)."""
        tensors: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for node_id in self.node_ids:
                entry = NodeEntry(node_id, self.node_types[node_id])
                self._activations(entry, raw.outputs.get(node_id), raw.probe_size, tensors)
                self._weights(
                    entry, raw.params.get(node_id, {}), raw.stats.get(node_id, {}), raw.grads.get(node_id), tensors
                )
                if entry.recorded:
                    self.entries[node_id] = entry
        return tensors

    # -- the pieces ------------------------------------------------------------------------------
    @staticmethod
    def _keep(node_id: str, outputs: dict[str, torch.Tensor]):
        def hook(module, args, output):
            value = _first_tensor(output)
            if value is not None:
                outputs[node_id] = value

        return hook

    def _gradients(self, outputs: dict[str, torch.Tensor]) -> dict[str, list[torch.Tensor]]:
        grads: dict[str, list[torch.Tensor]] = {}
        for source in self.gradients:
            terms = [w * outputs[loss] for loss, w in source.losses.items() if loss in outputs]
            params = [
                (node_id, p)
                for node_id in source.nodes
                if node_id in self.children
                for p in self.children[node_id].parameters()
                if p.requires_grad
            ]
            if not terms or not params:
                continue
            total = torch.stack([t.float().sum() for t in terms]).sum()
            if not total.requires_grad:
                continue
            found = torch.autograd.grad(total, [p for _, p in params], retain_graph=True, allow_unused=True)
            for (node_id, _), g in zip(params, found, strict=True):
                if g is not None:
                    grads.setdefault(node_id, []).append(g.detach())
        return grads

    def _activations(self, entry: NodeEntry, value: torch.Tensor | None, probe: int, out: dict) -> None:
        if value is None or not value.is_floating_point() or value.dim() == 0 or value.shape[0] != probe:
            return  # a loss (one number for the batch) or a non-float output: nothing per sample to show
        value = value.float()
        bounded = bound_activation(value, self.limits)
        out[key(entry.id, "activations")] = _cpu(bounded)
        entry.activation_shape = list(bounded.shape)
        entry.full_shape = list(value.shape[1:])
        entry.recorded.append("activations")
        self._histogram(entry, "activations", value, out)
        if entry.id == self.output:
            out[key(entry.id, "logits")] = _cpu(value)
            entry.recorded.append("logits")
            if self.softmax and value.dim() == 2:
                out[key(entry.id, "softmax")] = _cpu(torch.softmax(value, dim=1))
                entry.recorded.append("softmax")

    def _weights(
        self,
        entry: NodeEntry,
        params: dict[str, torch.Tensor],
        stats: dict[str, torch.Tensor],
        grads: list[torch.Tensor] | None,
        out: dict,
    ) -> None:
        if params:
            for name, p in params.items():
                stored = bound_weight(p.float(), self.limits.max_weight_values)
                out[key(entry.id, f"weights/{name}")] = _cpu(stored)  # a copy: a view may not be saved alone
                entry.weights[name] = list(stored.shape)
                entry.weights_full[name] = list(p.shape)
            flat = torch.cat([p.float().reshape(-1) for p in params.values()])
            entry.recorded += ["weights", "zero_weight_share"]
            out[key(entry.id, "zero_weight_share")] = (flat == 0).float().mean()
            self._histogram(entry, "weights", flat, out)
        if grads:
            self._histogram(entry, "gradients", torch.cat([g.float().reshape(-1) for g in grads]), out)
        if stats:
            for name, buffer in stats.items():
                out[key(entry.id, f"bn_stats/{name}")] = buffer.float()
            entry.recorded.append("bn_stats")

    def _histogram(self, entry: NodeEntry, kind: str, values: torch.Tensor, out: dict) -> None:
        counts, edges = histogram(values, self.limits.bins)
        out[key(entry.id, f"histograms/{kind}/counts")] = _cpu(counts)
        out[key(entry.id, f"histograms/{kind}/edges")] = _cpu(edges)
        if "histograms" not in entry.recorded:
            entry.recorded.append("histograms")


def histogram(values: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(counts int64 [bins], edges float32 [bins + 1]) of the finite values, over their range."""
    values = values.reshape(-1)
    if values.numel() == 0:
        return torch.zeros(bins, dtype=torch.int64), torch.linspace(-0.5, 0.5, bins + 1)
    lo, hi = (float(v) for v in torch.aminmax(values))
    if not (math.isfinite(lo) and math.isfinite(hi)):  # rare (a diverging run): filter, then count
        values = values[torch.isfinite(values)]
        if values.numel() == 0:
            return torch.zeros(bins, dtype=torch.int64), torch.linspace(-0.5, 0.5, bins + 1)
        lo, hi = (float(v) for v in torch.aminmax(values))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(values, bins=bins, min=lo, max=hi).to(torch.int64)
    return counts, torch.linspace(lo, hi, bins + 1)


def bound_activation(value: torch.Tensor, limits: Limits) -> torch.Tensor:
    """A node's output on the probe, cut to the limits (see the module docstring); probe axis first."""
    import torch.nn.functional as F

    dims = value.dim()
    if dims == 2:  # [probe, units]
        return value[:, : limits.max_units]
    if dims == 3:  # [probe, steps or channels, features or length]: even steps, leading features
        steps = value.shape[1]
        if steps > limits.max_steps:
            value = value[:, torch.linspace(0, steps - 1, limits.max_steps).round().long()]
        return value[:, :, : limits.max_units]
    if dims == 4:  # [probe, channels, height, width]
        value = value[:, : limits.max_channels]
        h, w = value.shape[2:]
        if h > limits.max_side or w > limits.max_side:
            value = F.adaptive_avg_pool2d(value, (min(h, limits.max_side), min(w, limits.max_side)))
        return value
    if dims == 5:  # [probe, channels, depth, height, width]
        side = max(1, limits.max_side // 2)
        value = value[:, : max(1, limits.max_channels // 2)]
        size = tuple(min(s, side) for s in value.shape[2:])
        return F.adaptive_avg_pool3d(value, size) if size != tuple(value.shape[2:]) else value
    return value.reshape(value.shape[0], -1)[:, : limits.max_units]


def bound_weight(value: torch.Tensor, max_values: int) -> torch.Tensor:
    """The leading rows (output units or kernels) of a weight tensor that fit in `max_values`."""
    if value.numel() <= max_values:
        return value
    if value.dim() == 0:
        return value
    per_row = max(1, value[0].numel())
    rows = max_values // per_row
    if rows >= 1:
        return value[:rows]
    return value.reshape(-1)[:max_values]


def _first_tensor(output) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(output, dict):
        for item in output.values():
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _cpu(t: torch.Tensor) -> torch.Tensor:
    # a copy: outputs may share memory (an in-place ReLU, logits), which safetensors refuses
    return t.detach().to("cpu", copy=True).contiguous()
