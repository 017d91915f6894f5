"""The description of one node type: ports, parameters, help, shape rule and builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.registry.codegen import Codegen
from engine.registry.errors import ParamError
from engine.registry.imports import NoImport, OnnxImport, PyTorchImport
from engine.registry.params import Param
from engine.registry.spec import TensorSpec
from engine.registry.traits import KNOWN as KNOWN_TRAITS
from engine.registry.weight_init import INIT_PARAMS

if TYPE_CHECKING:  # torch stays out of the import path of the registry
    import torch

CATEGORIES = ("data", "layers", "activations", "merge", "losses", "optimizers")

# How a category takes part in a compiled graph.
ROLE_OF_CATEGORY = {
    "data": "source",
    "layers": "op",
    "activations": "op",
    "merge": "op",
    "losses": "loss",
    "optimizers": "optimizer",
}

Inputs = dict[str, Any]  # port name -> TensorSpec, or list[TensorSpec] for a multiple port
InferFn = Callable[[dict[str, Any], Inputs], dict[str, TensorSpec]]
BuildFn = Callable[[dict[str, Any], Inputs], "torch.nn.Module"]

TRAINABLE = Param(
    "trainable",
    "bool",
    True,
    "Update this layer's weights while training; turn off to freeze it (transfer learning).",
)


@dataclass(frozen=True)
class Port:
    """A named input or output. `multiple` inputs accept several edges (an optimizer's losses)."""

    name: str
    description: str = ""
    optional: bool = False
    multiple: bool = False


@dataclass(frozen=True)
class NodeType:
    """Everything Netwright knows about one kind of node; the single source of truth.

    `infer(params, inputs)` maps connected input specs to output specs or raises ShapeError.
    `build(params, inputs)` returns the torch module (None for data and optimizer nodes);
    its forward takes the connected inputs positionally, in port order.
    `codegen` writes the node as plain PyTorch source; `pytorch_import` and `onnx_import` say how
    the importers recognise it, or (NoImport) why they do not.
    """

    type_id: str
    title: str
    category: str
    help: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    params: tuple[Param, ...]
    infer: InferFn
    build: BuildFn | None = None
    has_weights: bool = False
    legacy_ids: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other names users search for: `dense`, `fully connected`
    summary: str = ""
    codegen: Codegen | None = None
    pytorch_import: PyTorchImport | NoImport | None = None
    onnx_import: OnnxImport | NoImport | None = None
    # Losses only: how the prediction feeding this loss is scored against class labels, so the
    # trainer can report accuracy: "argmax" (class scores) or "threshold" (a logit > 0 is class 1).
    accuracy: str | None = None
    # Weighted types take the `init` choice (engine/registry/weight_init.py) unless this is False:
    # weights that are not drawn at random (a normalization's scale and shift start at 1 and 0).
    weight_init: bool = True
    # What the type is, for teaching checks and training probes (engine/registry/traits.py).
    traits: tuple[str, ...] = ()
    param_index: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.type_id}: unknown category {self.category!r}")
        if self.accuracy not in (None, "argmax", "threshold") or (self.accuracy and self.category != "losses"):
            raise ValueError(f"{self.type_id}: accuracy is 'argmax' or 'threshold', and only for losses")
        if "." not in self.type_id:
            raise ValueError(f"{self.type_id}: type ids look like 'layers.Linear'")
        if set(self.traits) - KNOWN_TRAITS:
            raise ValueError(f"{self.type_id}: unknown traits {sorted(set(self.traits) - KNOWN_TRAITS)}")
        params = self.params
        if self.has_weights and self.weight_init and all(p.name != "init" for p in params):
            params = params + INIT_PARAMS
        if self.has_weights and all(p.name != "trainable" for p in params):
            params = params + (TRAINABLE,)
        object.__setattr__(self, "params", params)
        names = [p.name for p in params]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.type_id}: duplicate parameter names")
        object.__setattr__(self, "param_index", {p.name: p for p in params})
        if not self.summary:
            object.__setattr__(self, "summary", self.help.split(". ")[0].rstrip(".") + ".")

    @property
    def role(self) -> str:
        return ROLE_OF_CATEGORY[self.category]

    @property
    def class_name(self) -> str:
        return self.type_id.rsplit(".", 1)[1]

    def input_port(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def default_params(self) -> dict[str, Any]:
        return {p.name: _copy(p.default) for p in self.params}

    def check_params(self, given: dict[str, Any]) -> tuple[dict[str, Any], list[ParamError]]:
        """Canonical params (defaults for the missing ones) and the errors found.

        A parameter this type does not know is an error, never silently dropped.
        """
        errors: list[ParamError] = []
        out: dict[str, Any] = {}
        for param in self.params:
            if param.name in given:
                try:
                    out[param.name] = param.check(given[param.name])
                except ParamError as exc:
                    errors.append(exc)
                    out[param.name] = _copy(param.default)
            else:
                out[param.name] = _copy(param.default)
        for name in given:
            if name not in self.param_index:
                known = ", ".join(self.param_index) or "none"
                errors.append(ParamError(name, f"{self.title} has no parameter {name!r} (known: {known})"))
        return out, errors


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value
