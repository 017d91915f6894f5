"""One optimizer's update: its own forward pass over the shared modules, backward, clip, step."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence

import torch
from torch import fx, nn

from engine.training.plan import OptimizerPlan


class DirectFusedAdam:
    """torch's fused Adam/AdamW kernel called directly, without torch.optim's per-step Python.

    `optimizer.step()` spends more time in Python (grouping tensors by device, hooks, profiler
    scopes, building the state lists) than the kernel takes for a small model. This does what
    `torch.optim.adam._fused_adam` does for one CPU parameter group: the same kernel, the same
    state tensors (read from `optimizer.state` every step, so checkpoints, resumes and lr
    changes through `param_groups` work unchanged), bit-identical results. Anything it does
    not cover (first step, which creates the state; a missing gradient) goes through
    `optimizer.step()`.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        group = optimizer.param_groups[0]
        self.params = list(group["params"])
        decoupled = type(optimizer) is torch.optim.AdamW or bool(group.get("decoupled_weight_decay"))
        self.kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_

    @staticmethod
    def supports(optimizer: torch.optim.Optimizer) -> bool:
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW) or len(optimizer.param_groups) != 1:
            return False
        group = optimizer.param_groups[0]
        if not group.get("fused") or group.get("differentiable") or group.get("capturable"):
            return False
        if optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks:
            return False
        from torch.optim import optimizer as base

        if base._global_optimizer_pre_hooks or base._global_optimizer_post_hooks:
            return False
        params = group["params"]
        return all(p.device.type == "cpu" and p.dtype == params[0].dtype for p in params)

    def step(self) -> None:
        # read every step: load_state_dict (a resume) replaces the group dicts and the state
        group, state = self.optimizer.param_groups[0], self.optimizer.state
        params = self.params
        grads = [p.grad for p in params]
        first = state.get(params[0])
        lr = group["lr"]
        if first is None or "exp_avg" not in first or any(g is None for g in grads) or isinstance(lr, torch.Tensor):
            self.optimizer.step()
            return
        states = [state[p] for p in params]
        amsgrad = group["amsgrad"]
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, 1)
        beta1, beta2 = group["betas"]
        self.kernel(
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["max_exp_avg_sq"] for s in states] if amsgrad else [],
            steps,
            amsgrad=amsgrad,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            grad_scale=None,
            found_inf=None,
        )


def engine_backward(device: torch.device) -> Callable[[torch.Tensor], None] | None:
    """`total.backward()` for a CPU scalar objective, straight into autograd's C++ engine; None elsewhere.

    `Tensor.backward` goes through `torch.autograd.backward`'s Python (torch-function dispatch,
    argument normalizing, building the seed gradient, a debug-logging check, stashing the context
    for compiled autograd's device threads): ~8 us a step, and a lean loop on the digits MLP runs
    in 0.90 of its time without it (bench/bench_trainer.py). On the CPU the engine runs on the
    calling thread, so none of it applies to a plain tensor; the same engine call with the same
    arguments gives the same gradients. Anything else (a tensor subclass, a non-scalar, another
    device, a missing private API) keeps `Tensor.backward`.
    """
    run = getattr(getattr(torch.autograd.Variable, "_execution_engine", None), "run_backward", None)
    if device.type != "cpu" or run is None:
        return None

    def backward(total: torch.Tensor) -> None:
        if type(total) is not torch.Tensor or total.ndim:
            total.backward()
            return
        # a fresh seed each step, as Tensor.backward makes: one kept between steps could end up as a leaf's
        # .grad, which clipping scales in place
        run((total,), (torch.ones_like(total),), False, False, (), allow_unreachable=True, accumulate_grad=True)

    return backward


class OptimizerStep:
    """Minimizes sum(weight x loss) + l1 x sum|w| for one Optimizer node, over its scope only."""

    def __init__(
        self,
        plan: OptimizerPlan,
        program: fx.GraphModule,
        runner: nn.Module,
        modules: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler,
        scaler,
        grad_clip: float,
        autocast: bool,
        device: torch.device,
    ):
        self.plan = plan
        self.node_id = plan.node_id
        self.program = program  # the fx program; `runner` calls it (itself, or a DDP wrapper around it)
        self.runner = runner
        # Called per step: the program's own forward where nothing wraps it (no DDP), which skips
        # GraphModule's and Module's __call__ layers; nothing registers hooks on the program itself.
        self._run = program.forward if runner is program else runner
        if runner is program:
            _bind_children(program)
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scaler = scaler
        self.grad_clip = grad_clip
        self.args = [n.target for n in program.graph.nodes if n.op == "placeholder"]
        self.losses = plan.losses
        self.accuracy: list = []  # the AccuracyPlans of this optimizer's losses (set by the trainer)
        self.weights = [plan.weights[loss] for loss in plan.losses]
        self.l1 = float(plan.params.get("l1", 0.0))
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        direct = scaler is None and DirectFusedAdam.supports(optimizer)
        self._update = DirectFusedAdam(optimizer).step if direct else optimizer.step
        self._backward = (engine_backward(device) if runner is program else None) or torch.Tensor.backward
        # Which params belong to which layer, for per-layer gradient norms.
        owner = {id(p): node_id for node_id in plan.scope for p in modules.get_submodule(node_id).parameters()}
        self.param_layers = [owner[id(p)] for p in self.params]
        self._layer_names = list(dict.fromkeys(self.param_layers))
        self._layer_positions = [self._layer_names.index(layer) for layer in self.param_layers]
        self._zero = torch.zeros((), device=device)
        self._autocast = (
            torch.autocast(device_type=device.type, dtype=torch.float16) if autocast else contextlib.nullcontext()
        )
        # One unweighted loss, no L1, no autocast: the objective is the loss itself (no per-step sum).
        self._plain = len(self.losses) == 1 and self.weights[0] == 1.0 and not self.l1 and not autocast
        # The last step's loss as read by its finiteness check, when the objective is that loss
        # (`_plain`): the metrics keep this float instead of the tensor. None otherwise.
        self.loss_value: float | None = None

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """The program's outputs and the total objective for `batch`."""
        if self._plain:  # positional: the program's forward takes its placeholders in `args` order
            out = self._run(*[batch[name] for name in self.args])
            return out, out[self.losses[0]]
        with self._autocast:
            out = self._run(*[batch[name] for name in self.args])
        total = None
        for loss, weight in zip(self.losses, self.weights, strict=True):
            term = out[loss] if weight == 1.0 else out[loss] * weight
            total = term if total is None else total + term
        if self.l1:
            total = total + self.l1 * sum(p.abs().sum() for p in self.params)
        return out, total

    def step(
        self, batch: dict[str, torch.Tensor], sample_grads: bool
    ) -> tuple[dict[str, torch.Tensor], list[torch.Tensor] | None, bool]:
        """Forward, backward and update. Returns (outputs, per-param grad norms or None, finite).

        The norms are 0-dim tensors, one per parameter, left on the device: `norms_and_silence`
        stacks and reads all of an epoch's samples at once.

        When the objective is not finite nothing is updated, so the caller can re-run the
        batch to find where the values broke.
        """
        for p in self.params:  # zero_grad(set_to_none=True) without its profiler scope: ~10 us less a step
            p.grad = None
        out, total = self.forward(batch)
        value = total.item()
        if not math.isfinite(value):
            return out, None, False
        self.loss_value = value if self._plain else None
        norms = None
        if self.scaler is not None:
            self.scaler.scale(total).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            self._backward(total)
        if sample_grads:  # one kernel for every parameter's norm
            norms = torch._foreach_norm([p.grad if p.grad is not None else self._zero for p in self.params])
        if self.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.params, self.grad_clip, foreach=True)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self._update()
        return out, norms, True

    def layer_norms(self, samples: list[Sequence[torch.Tensor]]) -> dict[str, float]:
        """Root-mean-square over the sampled steps of each layer's gradient norm.

        Steps whose objective gave no gradient at all (every hinge margin met: the loss is exactly
        0) are left out, as they say nothing about how well gradients flow; with only such steps,
        every norm is 0 and `silent_share` is 1.
        """
        return self.norms_and_silence(samples)[0]

    def norms_and_silence(self, samples: list[Sequence[torch.Tensor]]) -> tuple[dict[str, float], float]:
        """`layer_norms` and `silent_share` together, read from the device in one transfer.

        `samples`: per sampled step, its per-parameter norms (what `step` returns, or a 1-D tensor).
        The few dozen numbers are combined on the host in double precision: on the device the same
        took a dozen small ops an epoch, a visible part of a small model's epoch.
        """
        rows = _sample_rows(samples)
        if not rows:
            return {}, 0.0
        where = self._layer_positions
        sums = [0.0] * len(self._layer_names)
        silent = 0
        for row in rows:
            squares = [v * v for v in row]
            if not any(squares):  # silent rows add nothing to the sums, and the mean leaves them out
                silent += 1
                continue
            for k, square in zip(where, squares, strict=True):
                sums[k] += square
        active = max(len(rows) - silent, 1)
        return {layer: math.sqrt(total / active) for layer, total in zip(self._layer_names, sums, strict=True)}, (
            silent / len(rows)
        )

    @staticmethod
    def silent_share(samples: list[Sequence[torch.Tensor]]) -> float:
        """The share of sampled steps whose objective gave exactly zero gradient to every parameter."""
        rows = _sample_rows(samples)
        return sum(1 for row in rows if not any(row)) / len(rows) if rows else 0.0


def _sample_rows(samples: list[Sequence[torch.Tensor]]) -> list[list[float]]:
    """Each sampled step's per-parameter norms as floats: one stack and one read for all of them."""
    if not samples:
        return []
    flat = [n for sample in samples for n in (sample.unbind() if isinstance(sample, torch.Tensor) else sample)]
    values = torch.stack(flat).tolist()
    width = len(flat) // len(samples)
    return [values[i : i + width] for i in range(0, len(values), width)]


def _bind_children(program: fx.GraphModule) -> None:
    """Put the program's submodules in its instance dict, where `self.fc1` in its generated forward finds them.

    Module.__getattr__ (a Python function searching three dicts) runs only when normal lookup
    fails; ~0.7 us per layer per step, ~3 us a step on the digits MLP. Module.__setattr__ drops
    the entry when a submodule is replaced, and `_modules` stays the one source for everything else.
    """
    for name, child in program.named_children():
        if not hasattr(type(program), name) and name not in program.__dict__:  # never shadow an attribute
            program.__dict__[name] = child
