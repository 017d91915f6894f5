"""How a node type writes itself as plain PyTorch source (the `python` export).

Each registry entry carries one of these: a layer gives the constructor that goes into
`__init__` (`self.fc1 = nn.Linear(64, 128)`) and the line that goes into `forward`
(`fc1 = self.fc1(data_x)`); merge nodes are plain expressions. A loss gives the criterion's
constructor, an optimizer the torch optimizer's. The constructors must build modules whose
state_dict keys and values equal the entry's builder's, which the export verification checks.
Only strings are produced here, so the registry stays free of torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.registry.spec import TensorSpec
from engine.registry.weight_init import with_init

if TYPE_CHECKING:  # torch stays out of the import path of the registry
    import torch


@dataclass(frozen=True)
class NodeContext:
    """What a node's code depends on: its id, params, connected input specs and argument names."""

    node_id: str
    params: dict[str, Any]
    inputs: dict[str, TensorSpec]  # port -> spec of what is connected
    args: list[str]  # the variables holding the connected inputs, in port order

    @property
    def x(self) -> str:
        return self.args[0]

    @property
    def spec(self) -> TensorSpec:
        return next(iter(self.inputs.values()))


@dataclass(frozen=True)
class LayerCode:
    """`layer` returns the constructor for __init__ (None: nothing to construct); `forward` the lines."""

    layer: Callable[[NodeContext], str] | None = None
    forward: Callable[[NodeContext], list[str]] | None = None

    def init_line(self, ctx: NodeContext) -> str | None:
        return None if self.layer is None else f"self.{ctx.node_id} = {with_init(self.layer(ctx), ctx.params)}"

    def forward_lines(self, ctx: NodeContext) -> list[str]:
        if self.forward is not None:
            return self.forward(ctx)
        return [f"{ctx.node_id} = self.{ctx.node_id}({', '.join(ctx.args)})"]


@dataclass(frozen=True)
class LossCode:
    """`criterion(params)` is the loss module's constructor; `helper` is source it needs, emitted once."""

    criterion: Callable[[dict[str, Any]], str]
    helper: str = ""


OptimizerFactory = Callable[[dict[str, Any], list, dict[str, Any]], "torch.optim.Optimizer"]


@dataclass(frozen=True)
class OptimizerCode:
    """An optimizer node as torch sees it, in the trainer and in exported code alike.

    `make(params)` is the torch.optim constructor as source, taking `parameters`.
    `construct(params, parameters, common)` builds it; `common` holds lr, weight_decay and
    foreach/fused, which every optimizer takes. `full_batch`: one step per epoch on the whole
    training set. `fused`: torch has a fused kernel for it.
    """

    make: Callable[[dict[str, Any]], str]
    construct: OptimizerFactory
    full_batch: bool = False
    fused: bool = False


Codegen = LayerCode | LossCode | OptimizerCode


def call(name: str, *args: Any, **kwargs: Any) -> str:
    """`name(arg, key=value)`, values written as Python literals, keyword arguments in order."""
    parts = [str(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def non_default(**pairs: tuple[Any, Any]) -> dict[str, Any]:
    """`name=(value, torch default)` -> only the names whose value is not the default."""
    return {name: value for name, (value, default) in pairs.items() if value != default}


def plain(name: str) -> LayerCode:
    """A torch.nn module constructed without arguments, e.g. `nn.ReLU()`."""
    return LayerCode(lambda c: f"nn.{name}()")


def expression(template: str) -> LayerCode:
    """A node written inline in forward, e.g. `{id} = {a} + {b}` (a: first argument, b: last)."""
    return LayerCode(
        forward=lambda c: [template.format(id=c.node_id, args=", ".join(c.args), a=c.args[0], b=c.args[-1])]
    )
