"""How the importers recognise a node type: PyTorch modules and fx calls, ONNX operators.

Every registry entry says either how it is imported or, with NoImport, why it is not; the
contract test fails on silence. The importers look entries up through `ImportIndex`, built
from the registry, so a new type is importable by its entry alone. Torch classes are named,
never imported here: the registry stays free of torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.registry.nodetype import NodeType


class Unmapped(Exception):
    """A module, call or operator this type claims uses a form its node cannot express; says why."""


@dataclass(frozen=True)
class NoImport:
    """This type has no import mapping, and `reason` says why."""

    reason: str


def _no_params(_: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class PyTorchImport:
    """The torch.nn modules and traced calls that become this type.

    `modules`: torch.nn class names (`"Linear"`); `module_params(module)` reads the node's params
    from an instance. `functions`: torch / torch.nn.functional functions, tensor methods and
    operators as torch.fx names them (`"relu"`, `"add"`, `"iadd"`); their arguments are bound
    to `signature` and `function_params(bound)` reads the params. `tensor_args` names the bound
    arguments that feed the node's input ports, in port order (one holding a list feeds several).
    Both param readers raise Unmapped with the reason when the instance does not fit.
    Several types may claim one traced call; `function_params` returns None when the call is
    another type's form of it (`x + 2` is Shift's, `a + b` is Add's), and the importer asks the
    next claimant in registration order.
    """

    modules: tuple[str, ...] = ()
    module_params: Callable[[Any], dict[str, Any]] = _no_params
    functions: tuple[str, ...] = ()
    signature: tuple[str, ...] = ("input",)
    function_params: Callable[[dict[str, Any]], dict[str, Any] | None] = _no_params
    tensor_args: tuple[str, ...] = ("input",)
    # Modules called with more than their input or returning a tuple (self-attention's attn(x, x, x)[0]):
    # (args, kwargs) -> (the arguments feeding the input ports, the index of the returned tuple's element
    # that is the node's output, None for a plain tensor); raises Unmapped for a call the node cannot express.
    module_call: Callable[[tuple, dict[str, Any]], tuple[list[Any], int | None]] | None = None
    # Calls whose params are read differently from the others' (`x / 4` is a Scale by 0.25, `x * 4` by 4)
    per_call: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = field(default_factory=dict)

    def params_of(self, call: str, bound: dict[str, Any]) -> dict[str, Any] | None:
        """The node's params for the traced call named `call`, or None when it is another type's form."""
        return self.per_call.get(call, self.function_params)(bound)

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by name."""
        bound = dict(zip(self.signature, args, strict=False))
        bound.update(kwargs)
        return bound

    def tensor_inputs(self, bound: dict[str, Any]) -> list[Any]:
        """The values feeding the input ports; plain numbers are skipped (`0.5 * x` feeds x to Scale)."""
        values: list[Any] = []
        for name in self.tensor_args:
            value = bound.get(name)
            values.extend(value if isinstance(value, (list, tuple)) else [value])
        return [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float))]


class OnnxOp(Protocol):
    """The importer's view of one ONNX operator: attributes already plain Python values."""

    op_type: str
    attrs: dict[str, Any]  # floats in their shortest float32 spelling, strings decoded
    inputs: list[str]
    outputs: list[str]

    def const(self, index: int, required: bool = True) -> Any:
        """The stored tensor (a numpy array) at input `index`; raises Unmapped when it is computed."""

    def rank(self, index: int) -> int:
        """The rank (batch included) of the tensor at input `index`."""

    def is_const(self, index: int) -> bool:
        """Whether input `index` is a tensor stored in the file (or folded from stored ones), not computed."""


@dataclass(frozen=True)
class OnnxMapping:
    """What one ONNX operator becomes: params, weights keyed like the built module's state_dict
    (numpy arrays), the inputs that feed the node's ports (None: all of them, in order) and the
    input whose name gives the node a readable id (`fc1.weight` -> fc1)."""

    params: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    tensors: tuple[int, ...] | None = (0,)
    weight_input: int | None = None


def _plain(_: OnnxOp) -> OnnxMapping:
    return OnnxMapping()


@dataclass(frozen=True)
class OnnxImport:
    """The ONNX operators that become this type.

    `map(op)` returns the mapping, None when the operator is another type's form of the same
    op (a 2-D Conv is not Conv1d's), or raises Unmapped with the reason.
    """

    ops: tuple[str, ...]
    map: Callable[[OnnxOp], OnnxMapping | None] = _plain


@dataclass(frozen=True)
class ImportIndex:
    """Which registered type claims a torch.nn class name, an fx call name, an ONNX op."""

    modules: dict[str, NodeType]
    functions: dict[str, NodeType]  # the first claimant of each traced call
    onnx_ops: dict[str, tuple[NodeType, ...]]
    function_claimants: dict[str, tuple[NodeType, ...]] = field(default_factory=dict)  # all, in order

    @staticmethod
    def build(types: Iterable[NodeType]) -> ImportIndex:
        modules: dict[str, NodeType] = {}
        claimants: dict[str, tuple[NodeType, ...]] = {}
        onnx_ops: dict[str, tuple[NodeType, ...]] = {}
        for node_type in types:
            mapping = node_type.pytorch_import
            if isinstance(mapping, PyTorchImport):
                for name in mapping.modules:
                    _claim(modules, name, node_type, "torch.nn module")
                for name in mapping.functions:
                    claimants[name] = claimants.get(name, ()) + (node_type,)
            if isinstance(node_type.onnx_import, OnnxImport):
                for op in node_type.onnx_import.ops:
                    onnx_ops[op] = onnx_ops.get(op, ()) + (node_type,)
        functions = {name: types[0] for name, types in claimants.items()}
        return ImportIndex(modules, functions, onnx_ops, claimants)


def _claim(table: dict[str, NodeType], name: str, node_type: NodeType, what: str) -> None:
    if name in table:
        raise ValueError(f"{what} {name!r} is claimed by both {table[name].type_id} and {node_type.type_id}")
    table[name] = node_type
