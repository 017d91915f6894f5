"""Step mode: train exactly one batch and report what backpropagation did to every layer.

`BatchStepper(trainer).step()` takes the next batch of the trainer's epoch order (the same
shuffle, noise and optimizers as `fit`), runs one forward, backward and update for every
optimizer, and returns a `StepReport`: the batch's losses, each weighted layer's gradient norm
and relative weight change |dW|/|W|, and the gradient norm of the tensor on every output port
(what flows back along each edge of the graph), which the editor colours the canvas edges by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from engine.registry import catalog
from engine.training.trainer import Trainer

PortRef = tuple[str, str]  # (node id, output port)


@dataclass(frozen=True)
class LayerStep:
    """What one step did to one layer: its gradient's norm and how far its weights moved."""

    node_id: str
    grad_norm: float
    weight_norm: float  # |W| before the step, all of the layer's parameters together
    update_norm: float  # |W_after - W_before|

    @property
    def relative_change(self) -> float:
        """|dW| / |W|: about 1e-3 is a healthy step; far smaller barely learns, far larger overshoots."""
        if self.weight_norm > 0:
            return self.update_norm / self.weight_norm
        return math.inf if self.update_norm > 0 else 0.0


@dataclass(frozen=True)
class StepReport:
    epoch: int
    batch: int  # index of the batch within the epoch, from 0
    batches: int  # batches per epoch
    step: int  # steps trained so far, this one included
    size: int  # samples in the batch
    losses: dict[str, float]
    layers: list[LayerStep]
    port_gradients: dict[PortRef, float] = field(default_factory=dict)


class BatchStepper:
    """Trains `trainer`'s graph one batch at a time; the trainer keeps its weights between steps."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.epoch, self.index = 1, 0
        self._order: torch.Tensor | None = None
        self._outputs = {
            node_id: [p.name for p in node_type.outputs]
            for node_id, node_type in _types(trainer).items()
            if node_type.role not in ("source", "optimizer")
        }

    def step(self) -> StepReport:
        """Forward, backward and update on the next batch; raises DivergedError like `fit` does."""
        t = self.trainer
        t.modules.train()
        if self._order is None:
            self._order = t._order(self.epoch)
        lo = self.index * t.batch_size
        indices = self._order[lo : lo + t.batch_size]
        batch = {name: tensor.index_select(0, indices) for name, tensor in t.train_inputs.items()}
        if t.plan.noise:
            t._add_noise(batch, len(indices), t.noise_gen)
        layers = [n for n in t.plan.weighted if n not in t.plan.frozen and n in self._outputs]
        before = {n: _flat(t.modules.get_submodule(n)) for n in layers}
        port_gradients: dict[PortRef, float] = {}
        handles = self._watch_ports(port_gradients)
        t.step_count += 1
        losses: dict[str, float] = {}
        grad_norms: dict[str, float] = {}
        try:
            for step in t.steps:
                out, norms, finite = step.step(batch, True)
                if not finite:
                    t._diverged(step, batch, self.epoch)
                for layer, value in step.layer_norms([norms]).items():
                    grad_norms.setdefault(layer, value)
                losses.update({loss: float(out[loss].detach()) for loss in step.losses})
        finally:
            for handle in handles:
                handle.remove()
        moved = []
        for node_id in layers:
            change = _flat(t.modules.get_submodule(node_id)) - before[node_id]
            moved.append(
                LayerStep(node_id, grad_norms.get(node_id, 0.0), float(before[node_id].norm()), float(change.norm()))
            )
        report = StepReport(
            self.epoch, self.index, t.batches_per_epoch, t.step_count, len(indices), losses, moved, port_gradients
        )
        self.index += 1
        if self.index == t.batches_per_epoch:
            self.epoch, self.index, self._order = self.epoch + 1, 0, None
        return report

    def _watch_ports(self, found: dict[PortRef, float]) -> list:
        """Forward hooks that hang a gradient hook on each node's output tensor(s), keyed by output port."""
        handles = []
        for node_id, ports in self._outputs.items():
            module = self.trainer.modules.get_submodule(node_id)

            def forward_hook(mod, args, output, node_id=node_id, ports=ports):
                values = output if isinstance(output, (tuple, list)) else (output,)
                for port, value in zip(ports, values, strict=False):
                    if isinstance(value, torch.Tensor) and value.requires_grad:
                        value.register_hook(
                            lambda grad, key=(node_id, port): found.__setitem__(key, float(grad.detach().norm()))
                        )

            handles.append(module.register_forward_hook(forward_hook))
        return handles


def _flat(module: torch.nn.Module) -> torch.Tensor:
    params = [p.detach().reshape(-1) for p in module.parameters()]
    return torch.cat(params).clone() if params else torch.zeros(0)


def _types(trainer: Trainer) -> dict:
    registry = catalog()
    return {node_id: registry.get(node.type_id) for node_id, node in trainer.graph.nodes.items()}
