"""Map a module-level torch.fx graph (engine/importers/pytorch_trace.py) onto registry nodes with their weights.

Leaf modules (nn.Linear, nn.Conv2d, nn.LSTM, ...) become nodes named after their attribute
path (`features.0` -> `features_0`) and keep their weights; functional calls (F.relu,
torch.flatten, x.view(x.size(0), -1), a + b, torch.cat) become weightless nodes. Which node a
module class or call becomes, and with which params, is the registry entry's `pytorch_import`;
this module adds what concerns no single type (views and reshapes, recurrent outputs, parts of a
split, ShuffleNet's channel shuffle, values computed from shapes, torch.nn layers kept whole).
Whatever cannot be mapped is collected, by kind, and reported at once; nothing is imported half-way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from engine.importers.blockers import Blockers
from engine.importers.common import GraphBuilder
from engine.importers.pytorch_kept import TYPE_ID as KEPT_TYPE
from engine.importers.pytorch_kept import kept_module_params
from engine.registry import NodeType, Unmapped, catalog

Ref = tuple[str, str]  # (node id, output port)


class _Downstream(Exception):
    """A call whose input already failed: not reported again."""


@dataclass
class _Recurrent:
    """A recurrent module call whose node is created once we see which of its outputs is used."""

    fx_name: str
    target: str
    module: nn.RNNBase
    source: Ref
    node_type: NodeType
    params: dict
    node_id: str | None = None
    mode: str | None = None
    scope: str = ""


@dataclass
class _RecurrentPart:
    rec: _Recurrent
    path: tuple[int, ...] = field(default_factory=tuple)  # () the tuple, (0,) out, (1,) state, (1, 0) LSTM h_n


@dataclass(frozen=True)
class _Element:
    """A module call that returns a tuple (self-attention's (output, weights)): its node is element `index`."""

    ref: Ref
    index: int
    target: str


@dataclass
class _Pieces:
    """The parts of a chunk or split: each becomes a Slice node when it is taken (`x1, x2 = x.chunk(2, 1)`)."""

    source: Ref
    axis: int  # counted with the batch
    sizes: list[int]


SEVERAL_OUTPUTS = "forward returns several values; a Netwright model has one output"
MANY_INPUTS_KEPT = "has no Netwright node (and takes more than one input, so it cannot be kept whole)"
# Calls the mapper itself handles (views, parts of a split or of a recurrent layer's output, sizes).
STRUCTURAL_CALLS = ("getitem", "getattr", "size", "dim", "contiguous", "clone", "flatten", "view", "reshape")
STRUCTURAL_CALLS += ("squeeze", "unsqueeze", "chunk", "split", "tensor_split", "cat", "transpose", "swapaxes")
SHAPE_ARITHMETIC = ("floordiv", "mul", "add", "sub", "truediv", "mod", "neg")
SHAPE = object()  # a value derived from a tensor's shape (x.size(0)): used by views, not a node


class Mapper:
    """Walks the traced graph once, adding a node per call (or reporting why not); `run` returns the output id."""

    def __init__(self, traced: fx.GraphModule, name: str, input_params: dict[str, Any]):
        self.traced = traced
        self.name = name
        self.input_params = input_params
        self.modules = dict(traced.named_modules())
        self.builder = GraphBuilder(name)
        self.blockers = Blockers()
        self.values: dict[str, Any] = {}
        self.used_modules: set[str] = set()
        self.index = catalog().import_index()
        self.scopes: dict[str, str] = {}  # node id -> path of the module whose forward made it
        self.current: fx.Node | None = None
        self.kept: list[str] = []  # torch.nn layers kept whole as PyTorch module nodes
        self.folded: dict[str, Ref] = {}  # fx nodes already computed by a node made for their whole pattern

    def run(self) -> str:
        output = None
        for node in self.traced.graph.nodes:
            self.current = node
            made = len(self.builder.graph.nodes)
            try:
                if any(self.values.get(n.name, SHAPE) is None for n in node.all_input_nodes):
                    raise _Downstream
                if node.op == "placeholder":
                    if any(n.type_id == "data.Input" for n in self.builder.graph.nodes.values()):
                        raise Unmapped("a second input: imported models take one input tensor")
                    node_id = self.builder.add("data.Input", node.name, dict(self.input_params), [])
                    self.values[node.name] = (node_id, "out")
                elif node.op == "call_module":
                    self.values[node.name] = self._module(node)
                elif node.op in ("call_function", "call_method"):
                    self.values[node.name] = self._function(node)
                elif node.op == "get_attr":
                    raise Unmapped("uses a parameter or buffer directly (only layers' own weights can be imported)")
                elif node.op == "output":
                    output = self._output(node)
            except Unmapped as exc:
                self.blockers.add(*self._kind_and_place(node), str(exc))
                self.values[node.name] = None
            except _Downstream:
                self.values[node.name] = None
                self._check_alone(node)
            for node_id in list(self.builder.graph.nodes)[made:]:
                self.scopes[node_id] = node.meta.get("scope", "")
        self.blockers.refuse(self.name)
        return output

    def _check_alone(self, node: fx.Node) -> None:
        """A part after one that failed is still reported when it would fail on its own (a missing node
        type, a setting no node has), so the list shows the whole gap, not only its first layer."""
        try:
            if node.op == "call_module":
                module = self.modules[node.target]
                try:
                    self._module_type(module).pytorch_import.module_params(module)
                except Unmapped:
                    cls = type(module)
                    if getattr(nn, cls.__name__, None) is not cls:  # torch.nn layers can be kept whole
                        raise
                    if len(node.args) != 1 or node.kwargs:
                        raise Unmapped(MANY_INPUTS_KEPT) from None
            elif node.op == "output" and not isinstance(node.args[0], fx.Node):
                raise Unmapped(SEVERAL_OUTPUTS)
            elif node.op in ("call_function", "call_method"):
                name = _call_name(node)
                known = STRUCTURAL_CALLS + SHAPE_ARITHMETIC + tuple(self.index.function_claimants)
                if name not in known:
                    raise Unmapped("has no Netwright node")
        except Unmapped as exc:
            self.blockers.add(*self._kind_and_place(node), str(exc))

    def _kind_and_place(self, node: fx.Node) -> tuple[str, str]:
        """`nn.ReLU6` and `features.1.2`, or `channel_shuffle()` and where in the model it is called."""
        if node.op == "call_module":
            cls = type(self.modules[node.target])
            prefix = "nn." if getattr(nn, cls.__name__, None) is cls else ""
            return f"{prefix}{cls.__name__}", node.target
        if node.op in ("call_function", "call_method"):
            scope = node.meta.get("scope") or "forward"
            return f"{_call_name(node)}()", f"{node.name} in {scope}"
        if node.op == "get_attr":
            return "a parameter or buffer used directly", str(node.target)
        if node.op == "output":
            return "the return value", "forward"
        return node.op, node.name

    # -- values ----------------------------------------------------------------------------------------

    def _tensor(self, arg: Any) -> Ref:
        """The (node, port) holding `arg`, an fx node's value."""
        if not isinstance(arg, fx.Node):
            raise Unmapped(f"expected a tensor input, received the constant {arg!r}")
        value = self.values.get(arg.name)
        if value is None:
            raise Unmapped(f"its input `{arg.name}` could not be imported")
        if isinstance(value, _RecurrentPart):
            if value.path[-1:] in ((-2,), (-1,)):
                raise Unmapped(
                    f"takes the last step of bidirectional `{value.rec.target}` by indexing; Netwright's "
                    "last_step joins both directions' final states (torch.cat((h_n[-2], h_n[-1]), dim=1))"
                )
            if value.path != (0,):
                raise Unmapped(
                    f"uses the state of recurrent layer `{value.rec.target}` in a way Netwright cannot "
                    "express (use out[:, -1] or h_n[-1] for the last step)"
                )
            return self._materialize(value.rec, "all_steps")
        if value is SHAPE:
            raise Unmapped("computes with a tensor's shape")
        if isinstance(value, _Element):
            raise Unmapped(f"uses the whole tuple `{value.target}` returns; its node gives element {value.index}")
        return value

    def _meta(self, node: fx.Node) -> torch.Size:
        meta = node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            raise Unmapped("its output is not a single tensor")
        return meta.shape

    def _add(self, type_id: str, node: fx.Node, params: dict, inputs: list[Ref], weights=None) -> Ref:
        return self.builder.add(type_id, self._wanted_id(node), params, inputs, weights), "out"

    def _wanted_id(self, node: fx.Node) -> str:
        """A module's path (`layer1.0.conv1` -> layer1_0_conv1); a call inside a submodule's forward is
        named after that module and the call (`layer1_0_add`), so equal blocks get equal local names."""
        if node.op == "call_module":
            return node.target.replace(".", "_")
        scope = node.meta.get("scope", "")
        return f"{scope.replace('.', '_')}_{_call_name(node)}" if scope else node.name

    # -- modules -----------------------------------------------------------------------------------------

    def _module(self, node: fx.Node) -> Any:
        module = self.modules[node.target]
        if node.target in self.used_modules and any(True for _ in module.state_dict()):
            raise Unmapped(
                "is called more than once and has weights; the calls would share them, which a Netwright graph "
                "cannot express (give each call its own module)"
            )
        self.used_modules.add(node.target)  # a module without weights called again is simply another node
        if isinstance(module, nn.Identity):
            return self._tensor(node.args[0])
        try:
            node_type = self._module_type(module)
        except Unmapped:
            return self._kept(node, module)
        params = node_type.pytorch_import.module_params(module)
        if isinstance(module, nn.RNNBase):
            return self._recurrent(node, module, node_type, params)
        if node_type.pytorch_import.module_call is not None:  # several arguments, or a tuple returned
            sources, element = node_type.pytorch_import.module_call(node.args, dict(node.kwargs))
            weights = module.state_dict() if any(True for _ in module.state_dict()) else None
            ref = self._add(node_type.type_id, node, params, [self._tensor(a) for a in sources], weights)
            return ref if element is None else _Element(ref, element, node.target)
        if len(node.args) != 1 or node.kwargs:
            raise Unmapped("is called with more than one input")
        source = self._tensor(node.args[0])
        weights = module.state_dict() if any(True for _ in module.state_dict()) else None
        return self._add(node_type.type_id, node, params, [source], weights)

    def _kept(self, node: fx.Node, module: nn.Module) -> Ref:
        """A torch.nn layer no type claims, as an opaque PyTorch module node (engine/importers/pytorch_kept.py)."""
        if len(node.args) != 1 or node.kwargs:
            raise Unmapped(MANY_INPUTS_KEPT)
        source = self._tensor(node.args[0])
        before = node.args[0].meta.get("tensor_meta")
        params = kept_module_params(module, self._meta(node.args[0]), before.dtype, self._meta(node))
        self.kept.append(f"{type(module).__name__} ({node.target})")
        weights = module.state_dict() if any(True for _ in module.state_dict()) else None
        return self._add(KEPT_TYPE, node, params, [source], weights)

    def _module_type(self, module: nn.Module) -> NodeType:
        """The registered type claiming the module's torch.nn class (or the nearest torch.nn base class)."""
        for cls in type(module).__mro__:
            claimed = self.index.modules.get(cls.__name__)
            if claimed is not None and getattr(nn, cls.__name__, None) is cls:
                return claimed
        raise Unmapped("has no Netwright node")

    def _recurrent(self, node: fx.Node, module: nn.RNNBase, node_type: NodeType, params: dict) -> _RecurrentPart:
        if len(node.args) != 1 or node.kwargs:
            raise Unmapped("is given an initial state; Netwright's recurrent layers start from zeros")
        source = self._tensor(node.args[0])
        rec = _Recurrent(node.name, node.target, module, source, node_type, params, scope=node.meta.get("scope", ""))
        return _RecurrentPart(rec)

    def _materialize(self, rec: _Recurrent, mode: str) -> Ref:
        if rec.node_id is None:
            # Which output the model uses decides the node's `output` param.
            params = {**rec.params, "output": mode}
            rec.node_id = self.builder.add(
                rec.node_type.type_id, rec.target.replace(".", "_"), params, [rec.source], rec.module.state_dict()
            )
            self.scopes[rec.node_id] = rec.scope
            rec.mode = mode
        elif rec.mode != mode:
            raise Unmapped(
                f"uses both every step and the last step of `{rec.target}`; one Netwright node gives one of them"
            )
        return rec.node_id, "out"

    # -- functions and methods ---------------------------------------------------------------------------------

    def _function(self, node: fx.Node) -> Any:
        name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
        name = name.lstrip("_")
        args, kwargs = node.args, node.kwargs
        first = self.values.get(args[0].name) if args and isinstance(args[0], fx.Node) else None
        if name == "getitem" and isinstance(first, _RecurrentPart):
            return self._recurrent_item(first, args[1])
        if name == "getitem" and isinstance(first, _Element):
            if args[1] != first.index:
                raise Unmapped(
                    f"takes element {args[1]!r} of what `{first.target}` returns; its node gives element {first.index}"
                )
            return first.ref
        if name == "getitem" and isinstance(first, _Pieces):
            return self._piece(node, first, args[1])
        if name in ("chunk", "split", "tensor_split") and not self._computes_with_shapes_only(node):
            return self._pieces(node, name)
        if name in ("size", "dim") or (name == "getattr" and args[1] in ("shape", "dtype", "device")):
            return SHAPE
        if name == "getitem" and first is SHAPE:
            return SHAPE
        if name in SHAPE_ARITHMETIC and self._computes_with_shapes_only(node):
            return SHAPE  # `num_channels // groups` in ShuffleNet: sizes for a view, not tensors
        if node.name in self.folded:
            return self.folded[node.name]
        if name == "cat" and self._joins_both_directions(args, kwargs):
            return self._materialize(self.values[args[0][0].name].rec, "last_step")
        if name in ("contiguous", "clone"):
            return self._tensor(args[0])
        if name in ("flatten", "view", "reshape", "squeeze", "unsqueeze"):
            return self._reshape(node, name)
        claimants = self.index.function_claimants.get(name, ())
        for node_type in claimants:  # the first whose form this call is (x + 2: Shift; a + b: Add)
            mapping = node_type.pytorch_import
            bound = mapping.bind(args, kwargs)
            params = mapping.params_of(name, bound)
            if params is None:
                continue
            inputs = [self._tensor(value) for value in mapping.tensor_inputs(bound)]
            return self._add(node_type.type_id, node, params, inputs)
        if claimants:
            raise Unmapped(f"has a form that none of {', '.join(t.type_id for t in claimants)} takes")
        raise Unmapped("has no Netwright node")

    def _recurrent_item(self, part: _RecurrentPart, index: Any) -> Any:
        rec, lstm = part.rec, isinstance(part.rec.module, nn.LSTM)
        if isinstance(index, int) and len(part.path) < (2 if lstm else 1):
            return _RecurrentPart(rec, part.path + (index,))
        h_n = (1, 0) if lstm else (1,)
        last_of_out = (
            part.path == (0,)
            and isinstance(index, tuple)
            and len(index) >= 2
            and index[0] == slice(None)
            and index[1] == -1
            and all(i == slice(None) for i in index[2:])
        )
        last_of_state = part.path == h_n and index == -1
        if rec.module.bidirectional and part.path == h_n and index in (-2, -1):
            # h_n[-2] and h_n[-1]: the last layer's two directions, which only a cat of both can use
            return _RecurrentPart(rec, part.path + (index,))
        if last_of_out or last_of_state:
            if rec.module.bidirectional:
                raise Unmapped(
                    f"takes the last step of bidirectional `{rec.target}` by indexing; Netwright's "
                    "last_step joins both directions' final states"
                )
            return self._materialize(rec, "last_step")
        raise Unmapped(f"indexes the output of `{rec.target}` with {index!r}; supported: out[:, -1] and h_n[-1]")

    def _joins_both_directions(self, args: tuple, kwargs: dict) -> bool:
        """`torch.cat((h_n[-2], h_n[-1]), dim=1)`: a bidirectional layer's last step, as Netwright computes it."""
        tensors = args[0] if args else kwargs.get("tensors", ())
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        if dim not in (1, -1) or not isinstance(tensors, (list, tuple)) or len(tensors) != 2:
            return False
        parts = [self.values.get(t.name) if isinstance(t, fx.Node) else None for t in tensors]
        if not all(isinstance(p, _RecurrentPart) for p in parts) or parts[0].rec is not parts[1].rec:
            return False
        return parts[0].path[-1:] == (-2,) and parts[1].path[-1:] == (-1,) and parts[0].path[:-1] == parts[1].path[:-1]

    def _pieces(self, node: fx.Node, name: str) -> _Pieces:
        """x.chunk(2, dim=1), torch.split(x, 8, 1): the parts become Slice nodes when they are taken."""
        args, kwargs = node.args, node.kwargs
        dim = kwargs.get("dim", args[2] if len(args) > 2 else 0)
        if not isinstance(dim, int):
            raise Unmapped(f"{name}s along an axis computed at run time")
        metas = node.meta.get("tensor_meta")
        if not isinstance(metas, (list, tuple)) or not all(hasattr(m, "shape") for m in metas):
            raise Unmapped(f"{name}'s parts are not plain tensors")
        rank = len(metas[0].shape)
        axis = dim % rank
        if axis == 0:
            raise Unmapped(f"{name}s along the batch axis (dim 0); Netwright keeps the batch whole")
        sizes = [int(m.shape[axis]) for m in metas]
        return _Pieces(self._tensor(args[0]), axis, sizes)

    def _piece(self, node: fx.Node, pieces: _Pieces, index: Any) -> Ref:
        if not isinstance(index, int) or not -len(pieces.sizes) <= index < len(pieces.sizes):
            raise Unmapped(f"takes part {index!r} of a split; only whole parts by position are supported")
        index %= len(pieces.sizes)
        start = sum(pieces.sizes[:index])
        params = {"dim": pieces.axis - 1, "start": start, "end": start + pieces.sizes[index]}
        return self._add("layers.Slice", node, params, [pieces.source])

    def _computes_with_shapes_only(self, node: fx.Node) -> bool:
        inputs = [self.values.get(n.name) for n in node.all_input_nodes]
        return bool(inputs) and all(value is SHAPE for value in inputs)

    def _channel_shuffle(self, node: fx.Node, source: Ref) -> Ref | None:
        """view(B, g, C/g, H, W) -> transpose(1, 2) -> [contiguous] -> view(B, C, H, W): one ChannelShuffle node.

        torchvision's ShuffleNet writes the shuffle this way; its parts alone would need a 5-D tensor."""
        before, after = self._meta(node.args[0]), self._meta(node)
        if len(before) != 4 or len(after) != 5 or after[1] * after[2] != before[1] or after[3:] != before[2:]:
            return None
        chain, current = [node], node
        while len(current.users) == 1:
            current = next(iter(current.users))
            chain.append(current)
            called = _call_name(current)
            if called in ("transpose", "swapaxes") and len(chain) == 2:
                if sorted(a % 5 for a in current.args[1:3] if isinstance(a, int)) != [1, 2]:
                    return None
            elif called in ("contiguous", "clone") and len(chain) > 2:
                continue
            elif called in ("view", "reshape") and len(chain) > 2:
                if tuple(self._meta(current)) != tuple(before):
                    return None
                scope = current.meta.get("scope", "")
                wanted = f"{scope.replace('.', '_')}_channel_shuffle" if scope else "channel_shuffle"
                ref = self.builder.add("layers.ChannelShuffle", wanted, {"groups": int(after[1])}, [source]), "out"
                self.folded.update({n.name: ref for n in chain})
                return ref
            else:
                return None
        return None

    def _reshape(self, node: fx.Node, name: str) -> Ref:
        source = self._tensor(node.args[0])
        shuffled = self._channel_shuffle(node, source) if name in ("view", "reshape") else None
        if shuffled is not None:
            return shuffled
        before, after = self._meta(node.args[0]), self._meta(node)
        if after[0] != before[0]:
            raise Unmapped(f"changes the batch axis ({list(before)} -> {list(after)}); Netwright keeps it")
        if after == before:
            return source
        if len(after) == 1:
            raise Unmapped(
                f"leaves one number per sample with no axis ({list(before)} -> {list(after)}); Netwright keeps at "
                "least one axis per sample (end with [B, 1] instead)"
            )
        if len(after) == 2 and len(before) > 2:
            return self._add("layers.Flatten", node, {}, [source])
        return self._add("layers.Reshape", node, {"shape": list(after[1:])}, [source])

    def _output(self, node: fx.Node) -> str:
        result = node.args[0]
        if not isinstance(result, fx.Node):
            raise Unmapped(SEVERAL_OUTPUTS)
        value = self.values.get(result.name)
        if isinstance(value, _RecurrentPart) and value.path == ():
            raise Unmapped(f"forward returns the (output, state) tuple of `{value.rec.target}`")
        if value is None:
            self.builder.refuse_unsupported(self.name)
        node_id, _ = self._tensor(result)
        if self.builder.graph.nodes[node_id].type_id == "data.Input":
            raise Unmapped("forward returns its input unchanged")
        return node_id


def _call_name(node: fx.Node) -> str:
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
    return name.strip("_") or "call"
