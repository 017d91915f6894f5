"""Import a PyTorch nn.Module: trace it with torch.fx and map every call onto a registry node.

    result = import_module(Net(), input_shape=(1, 28, 28))
    result.graph, result.weights, result.max_abs_diff

Leaf modules (nn.Linear, nn.Conv2d, nn.LSTM, ...) become nodes named after their attribute
path (`features.0` -> `features_0`) and keep their weights; functional calls (F.relu,
torch.flatten, x.view(x.size(0), -1), a + b, torch.cat) become weightless nodes. Whatever has
no registry node is collected and reported by name; nothing is imported half-way.

Loading a model from a Python file runs that file: importing code executes it by design.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from engine.importers.common import (
    GraphBuilder,
    ImportResult,
    ModelImportError,
    check_graph,
    compiled_with_weights,
    layout,
)

EXAMPLE_BATCH = 2
TOLERANCE = 1e-4

Ref = tuple[str, str]  # (node id, output port)


class _Unmapped(Exception):
    """One module or call has no registry node; the message says why."""


class _Downstream(Exception):
    """A call whose input already failed: not reported again."""


class LeafTracer(fx.Tracer):
    """torch.nn modules are leaves, recurrent ones included (also subclasses defined elsewhere)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, nn.RNNBase) or super().is_leaf_module(m, qualname)


# -- loading ------------------------------------------------------------------------------------------


def load_model_class(source: str, class_name: str | None = None) -> type:
    """The class `class_name` from a Python file (executing it), or from a dotted name `pkg.mod:Class`."""
    path = Path(source)
    if source.endswith(".py"):
        if not path.is_file():
            raise ModelImportError(f"{source}: no such Python file")
        if not class_name:
            raise ModelImportError(f"{source}: name the model class to import (e.g. --class Net)")
        spec = importlib.util.spec_from_file_location(f"netwright_import_{uuid.uuid4().hex}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ModelImportError(f"{source}: running the file failed: {type(exc).__name__}: {_first(exc)}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
        where = source
    else:
        module_name, _, attr = source.replace(":", ".").rpartition(".") if not class_name else (source, "", class_name)
        class_name = class_name or attr
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ModelImportError(f"cannot import module {module_name!r}: {_first(exc)}") from None
        where = module_name
    cls = getattr(module, class_name, None)
    if cls is None:
        found = sorted(
            n
            for n, v in vars(module).items()
            if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__
        )
        raise ModelImportError(f"{where}: no class {class_name!r} (model classes there: {', '.join(found) or 'none'})")
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ModelImportError(f"{where}: {class_name} is not an nn.Module class")
    return cls


def import_pytorch(
    source: str, class_name: str | None, input_shape: Sequence[int], weights: str | None = None
) -> ImportResult:
    """Load, construct (no arguments), optionally load a state_dict, and import a model class."""
    cls = load_model_class(source, class_name)
    try:
        model = cls()
    except Exception as exc:
        raise ModelImportError(
            f"{cls.__name__}() failed (the class must be constructible without arguments): "
            f"{type(exc).__name__}: {_first(exc)}"
        ) from None
    if weights:
        from engine.weights import WeightsFileError, read_weights

        try:
            model.load_state_dict(read_weights(weights))
        except (WeightsFileError, RuntimeError) as exc:
            raise ModelImportError(f"{weights}: {_first(exc)}") from None
    return import_module(model, input_shape, name=cls.__name__)


# -- tracing and mapping --------------------------------------------------------------------------------


def import_module(model: nn.Module, input_shape: Sequence[int], name: str | None = None) -> ImportResult:
    """Map `model` (taking one float input of `input_shape`, without the batch) onto a graph with its weights."""
    name = name or type(model).__name__
    model = model.eval()
    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise ModelImportError(f"input shape {list(shape)}: give the size of one sample, e.g. 1,28,28")
    try:
        traced = fx.GraphModule(model, LeafTracer().trace(model), class_name=name)
    except Exception as exc:  # data-dependent control flow, len() of a tensor, ...
        raise ModelImportError(
            f"torch.fx could not trace {name}: {type(exc).__name__}: {_first(exc)} "
            "(data-dependent `if`/loops and shapes built from tensors cannot be traced)"
        ) from None
    example = torch.randn((EXAMPLE_BATCH, *shape), generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            ShapeProp(traced).propagate(example)
    except Exception as exc:
        raise ModelImportError(
            f"{name} does not run on an input of shape {['B', *shape]}: {type(exc).__name__}: {_first(exc)}"
        ) from None
    mapper = _Mapper(traced, name, shape)
    output = mapper.run()
    graph = mapper.builder.graph
    check_graph(graph, name)
    layout(graph)
    module = compiled_with_weights(graph, output, mapper.builder.weights)
    with torch.no_grad():
        expected = model(example)
        got = module(example)
    if not isinstance(expected, torch.Tensor) or expected.shape != got.shape:
        raise ModelImportError(
            f"cannot import {name}: the imported graph gives {list(got.shape)}, the model "
            f"{getattr(expected, 'shape', type(expected).__name__)}"
        )
    diff = float((expected - got).abs().max()) if expected.numel() else 0.0
    if diff > TOLERANCE:
        raise ModelImportError(f"cannot import {name}: the imported graph differs from the model by {diff:.3g}")
    return ImportResult(graph, mapper.builder.weights, output, diff)


@dataclass
class _Recurrent:
    """A recurrent module call whose node is created once we see which of its outputs is used."""

    fx_name: str
    target: str
    module: nn.RNNBase
    source: Ref
    node_id: str | None = None
    mode: str | None = None


@dataclass
class _RecurrentPart:
    rec: _Recurrent
    path: tuple[int, ...] = field(default_factory=tuple)  # () the tuple, (0,) out, (1,) state, (1, 0) LSTM h_n


SHAPE = object()  # a value derived from a tensor's shape (x.size(0)): used by views, not a node


class _Mapper:
    def __init__(self, traced: fx.GraphModule, name: str, shape: tuple[int, ...]):
        self.traced = traced
        self.name = name
        self.shape = shape
        self.modules = dict(traced.named_modules())
        self.builder = GraphBuilder(name)
        self.values: dict[str, Any] = {}
        self.used_modules: set[str] = set()

    def run(self) -> str:
        output = None
        for node in self.traced.graph.nodes:
            try:
                if any(self.values.get(n.name, SHAPE) is None for n in node.all_input_nodes):
                    raise _Downstream
                if node.op == "placeholder":
                    if any(n.type_id == "data.Input" for n in self.builder.graph.nodes.values()):
                        raise _Unmapped("a second input: imported models take one input tensor")
                    node_id = self.builder.add("data.Input", node.name, {"shape": list(self.shape)}, [])
                    self.values[node.name] = (node_id, "out")
                elif node.op == "call_module":
                    self.values[node.name] = self._module(node)
                elif node.op in ("call_function", "call_method"):
                    self.values[node.name] = self._function(node)
                elif node.op == "get_attr":
                    raise _Unmapped("uses a parameter or buffer directly (only layers' own weights can be imported)")
                elif node.op == "output":
                    output = self._output(node)
            except _Unmapped as exc:
                self.builder.unsupported.append(f"{self._where(node)}: {exc}")
                self.values[node.name] = None
            except _Downstream:
                self.values[node.name] = None
        self.builder.refuse_unsupported(self.name)
        return output

    def _where(self, node: fx.Node) -> str:
        if node.op == "call_module":
            return f"{node.target} ({type(self.modules[node.target]).__name__})"
        target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
        return f"{node.name} ({target})"

    # -- values ----------------------------------------------------------------------------------------

    def _tensor(self, arg: Any) -> Ref:
        """The (node, port) holding `arg`, an fx node's value."""
        if not isinstance(arg, fx.Node):
            raise _Unmapped(f"expected a tensor input, received the constant {arg!r}")
        value = self.values.get(arg.name)
        if value is None:
            raise _Unmapped(f"its input `{arg.name}` could not be imported")
        if isinstance(value, _RecurrentPart):
            if value.path != (0,):
                raise _Unmapped(
                    f"uses the state of recurrent layer `{value.rec.target}` in a way Netwright cannot "
                    "express (use out[:, -1] or h_n[-1] for the last step)"
                )
            return self._materialize(value.rec, "all_steps")
        if value is SHAPE:
            raise _Unmapped("computes with a tensor's shape")
        return value

    def _meta(self, node: fx.Node) -> torch.Size:
        meta = node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            raise _Unmapped("its output is not a single tensor")
        return meta.shape

    def _add(self, type_id: str, node: fx.Node, params: dict, inputs: list[Ref], weights=None) -> Ref:
        wanted = node.target.replace(".", "_") if node.op == "call_module" else node.name
        return self.builder.add(type_id, wanted, params, inputs, weights), "out"

    # -- modules -----------------------------------------------------------------------------------------

    def _module(self, node: fx.Node) -> Any:
        module = self.modules[node.target]
        if node.target in self.used_modules:
            raise _Unmapped("is called twice; a Netwright node cannot share its weights with another")
        self.used_modules.add(node.target)
        if isinstance(module, nn.RNNBase):
            return self._recurrent(node, module)
        if isinstance(module, (nn.Identity,)):
            return self._tensor(node.args[0])
        type_id, params = _module_node(module, self._meta(node.args[0]))
        if len(node.args) != 1 or node.kwargs:
            raise _Unmapped("is called with more than one input")
        source = self._tensor(node.args[0])
        weights = module.state_dict() if any(True for _ in module.state_dict()) else None
        return self._add(type_id, node, params, [source], weights)

    def _recurrent(self, node: fx.Node, module: nn.RNNBase) -> _RecurrentPart:
        if not module.batch_first:
            raise _Unmapped("has batch_first=False; Netwright's recurrent layers read [B, T, F] (batch_first=True)")
        if getattr(module, "proj_size", 0):
            raise _Unmapped("uses proj_size, which Netwright's LSTM does not have")
        if not module.bias:
            raise _Unmapped("has bias=False; Netwright's recurrent layers always have biases")
        if len(node.args) != 1 or node.kwargs:
            raise _Unmapped("is given an initial state; Netwright's recurrent layers start from zeros")
        return _RecurrentPart(_Recurrent(node.name, node.target, module, self._tensor(node.args[0])))

    def _materialize(self, rec: _Recurrent, mode: str) -> Ref:
        if rec.node_id is None:
            module = rec.module
            kind = type(module).__mro__[[c.__module__.startswith("torch.nn") for c in type(module).__mro__].index(True)]
            type_id = f"layers.{kind.__name__}"
            params = {
                "hidden_size": module.hidden_size,
                "num_layers": module.num_layers,
                "dropout": float(module.dropout),
                "bidirectional": module.bidirectional,
                "output": mode,
            }
            if type_id == "layers.RNN":
                params["nonlinearity"] = module.nonlinearity
            rec.node_id = self.builder.add(
                type_id, rec.target.replace(".", "_"), params, [rec.source], module.state_dict()
            )
            rec.mode = mode
        elif rec.mode != mode:
            raise _Unmapped(
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
        if name in ("size", "dim") or (name == "getattr" and args[1] in ("shape", "dtype", "device")):
            return SHAPE
        if name == "getitem" and first is SHAPE:
            return SHAPE
        if name in ACTIVATIONS:
            type_id, params = ACTIVATIONS[name](_bind(name, args, kwargs), self._meta(args[0]))
            return self._add(type_id, node, params, [self._tensor(args[0])])
        if name in ("contiguous", "clone"):
            return self._tensor(args[0])
        if name == "detach":
            return self._add("merge.Detach", node, {}, [self._tensor(args[0])])
        if name in ("add", "iadd", "mul", "imul"):
            if len(args) != 2 or kwargs or not all(isinstance(a, fx.Node) for a in args):
                raise _Unmapped("adds or multiplies a constant; Netwright merges two tensors of the same shape")
            type_id = "merge.Add" if "add" in name else "merge.Multiply"
            return self._add(type_id, node, {}, [self._tensor(args[0]), self._tensor(args[1])])
        if name == "cat":
            bound = _bind(name, args, kwargs)
            tensors = [self._tensor(t) for t in bound["tensors"]]
            if not 2 <= len(tensors) <= 4:
                raise _Unmapped(f"joins {len(tensors)} tensors; Concat takes 2 to 4")
            return self._add("merge.Concat", node, {"dim": _after_batch(bound.get("dim", 0))}, tensors)
        if name in ("flatten", "view", "reshape", "squeeze", "unsqueeze"):
            return self._reshape(node, name)
        if name in POOLS:
            type_id, params = POOLS[name](_bind(name, args, kwargs))
            return self._add(type_id, node, params, [self._tensor(args[0])])
        if name == "dropout":
            p = _bind(name, args, kwargs).get("p", 0.5)
            return self._add("layers.Dropout", node, {"p": float(p)}, [self._tensor(args[0])])
        raise _Unmapped("has no Netwright node")

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
        if last_of_out or last_of_state:
            if rec.module.bidirectional:
                raise _Unmapped(
                    f"takes the last step of bidirectional `{rec.target}` by indexing; Netwright's "
                    "last_step joins both directions' final states"
                )
            return self._materialize(rec, "last_step")
        raise _Unmapped(f"indexes the output of `{rec.target}` with {index!r}; supported: out[:, -1] and h_n[-1]")

    def _reshape(self, node: fx.Node, name: str) -> Ref:
        source = self._tensor(node.args[0])
        before, after = self._meta(node.args[0]), self._meta(node)
        if after[0] != before[0]:
            raise _Unmapped(f"changes the batch axis ({list(before)} -> {list(after)}); Netwright keeps it")
        if after == before:
            return source
        if len(after) == 2 and len(before) > 2:
            return self._add("layers.Flatten", node, {}, [source])
        return self._add("layers.Reshape", node, {"shape": list(after[1:])}, [source])

    def _output(self, node: fx.Node) -> str:
        result = node.args[0]
        if not isinstance(result, fx.Node):
            raise _Unmapped("forward returns several values; a Netwright model has one output")
        value = self.values.get(result.name)
        if isinstance(value, _RecurrentPart) and value.path == ():
            raise _Unmapped(f"forward returns the (output, state) tuple of `{value.rec.target}`")
        if value is None:
            self.builder.refuse_unsupported(self.name)
        node_id, _ = self._tensor(result)
        if self.builder.graph.nodes[node_id].type_id == "data.Input":
            raise _Unmapped("forward returns its input unchanged")
        return node_id


# -- tables ---------------------------------------------------------------------------------------------

SIGNATURES = {
    "relu": ("input", "inplace"),
    "sigmoid": ("input",),
    "tanh": ("input",),
    "leaky_relu": ("input", "negative_slope", "inplace"),
    "gelu": ("input", "approximate"),
    "elu": ("input", "alpha", "inplace"),
    "softmax": ("input", "dim"),
    "log_softmax": ("input", "dim"),
    "cat": ("tensors", "dim"),
    "max_pool1d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "adaptive_avg_pool2d": ("input", "output_size"),
    "dropout": ("input", "p", "training", "inplace"),
}


def _bind(name: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    bound = dict(zip(SIGNATURES.get(name, ("input",)), args, strict=False))
    bound.update(kwargs)
    return bound


def _after_batch(dim: int) -> int:
    """A torch dim as Netwright counts it (after the batch axis)."""
    if dim == 0:
        raise _Unmapped("works along the batch axis (dim 0)")
    return dim - 1 if dim > 0 else dim


def _softmax(type_id: str):
    def params(bound: dict, shape) -> tuple[str, dict]:
        if bound.get("dim") is None:
            raise _Unmapped("has no dim; give softmax an explicit dim")
        return type_id, {"dim": _after_batch(bound["dim"])}

    return params


ACTIVATIONS = {
    "relu": lambda b, s: ("activations.ReLU", {}),
    "sigmoid": lambda b, s: ("activations.Sigmoid", {}),
    "tanh": lambda b, s: ("activations.Tanh", {}),
    "leaky_relu": lambda b, s: ("activations.LeakyReLU", {"negative_slope": float(b.get("negative_slope", 0.01))}),
    "gelu": lambda b, s: ("activations.GELU", {"approximate": b.get("approximate", "none")}),
    "elu": lambda b, s: ("activations.ELU", {"alpha": float(b.get("alpha", 1.0))}),
    "softmax": _softmax("activations.Softmax"),
    "log_softmax": _softmax("activations.LogSoftmax"),
}


def _square(value: Any, what: str) -> int:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1 or not isinstance(values[0], int):
        raise _Unmapped(f"has {what} {value!r}; Netwright's layers use one size for every side")
    return values[0]


def _pool_params(kind: str, bound: dict) -> tuple[str, dict]:
    if bound.get("ceil_mode") or bound.get("return_indices"):
        raise _Unmapped("uses ceil_mode or return_indices")
    kernel = _square(bound["kernel_size"], "kernel_size")
    stride = bound.get("stride")
    params = {
        "kernel_size": kernel,
        "stride": kernel if stride in (None, (), []) else _square(stride, "stride"),
        "padding": _square(bound.get("padding", 0), "padding"),
    }
    if kind == "AvgPool2d":
        if bound.get("divisor_override") or (params["padding"] and bound.get("count_include_pad") is False):
            raise _Unmapped("uses divisor_override or count_include_pad=False")
    else:
        params["dilation"] = _square(bound.get("dilation", 1), "dilation")
    return f"layers.{kind}", params


def _adaptive(bound: dict) -> tuple[str, dict]:
    size = bound["output_size"]
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    if h is None or w is None:
        raise _Unmapped("keeps an input size (None in output_size)")
    return "layers.AdaptiveAvgPool2d", {"output_height": h, "output_width": w}


POOLS = {
    "max_pool1d": lambda b: _pool_params("MaxPool1d", b),
    "max_pool2d": lambda b: _pool_params("MaxPool2d", b),
    "avg_pool2d": lambda b: _pool_params("AvgPool2d", b),
    "adaptive_avg_pool2d": _adaptive,
}


def _conv_params(m: nn.Module) -> dict:
    if m.groups != 1 or m.padding_mode != "zeros":
        raise _Unmapped("uses groups or a padding mode other than zeros")
    padding = m.padding
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif all(k % 2 for k in m.kernel_size) and all(s == 1 for s in m.stride):
            padding = tuple(d * (k - 1) // 2 for d, k in zip(m.dilation, m.kernel_size, strict=True))
        else:
            raise _Unmapped("uses padding='same' with an even kernel or a stride")
    return {
        "out_channels": m.out_channels,
        "kernel_size": _square(m.kernel_size, "kernel_size"),
        "stride": _square(m.stride, "stride"),
        "padding": _square(padding, "padding"),
        "dilation": _square(m.dilation, "dilation"),
        "bias": m.bias is not None,
    }


def _module_node(m: nn.Module, in_shape: torch.Size) -> tuple[str, dict]:
    """The registry type and params for a leaf module (raises _Unmapped with the reason)."""
    if isinstance(m, nn.Linear):
        return "layers.Linear", {"out_features": m.out_features, "bias": m.bias is not None}
    if isinstance(m, (nn.Conv1d, nn.Conv2d)) and type(m) in (nn.Conv1d, nn.Conv2d):
        return f"layers.{type(m).__name__}", _conv_params(m)
    if type(m) is nn.ConvTranspose2d:
        params = _conv_params(m)
        params["output_padding"] = _square(m.output_padding, "output_padding")
        return "layers.ConvTranspose2d", params
    if type(m) in (nn.BatchNorm1d, nn.BatchNorm2d):
        if not m.track_running_stats or m.momentum is None:
            raise _Unmapped("has no running statistics (track_running_stats=False or momentum=None)")
        return f"layers.{type(m).__name__}", {"eps": float(m.eps), "momentum": float(m.momentum), "affine": m.affine}
    if isinstance(m, nn.LayerNorm):
        if len(m.normalized_shape) != 1 or (m.elementwise_affine and m.bias is None):
            raise _Unmapped("normalizes more than the last axis, or has no bias")
        return "layers.LayerNorm", {"eps": float(m.eps), "affine": m.elementwise_affine}
    if type(m) in (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool2d):
        bound = {
            k: getattr(m, k, None)
            for k in SIGNATURES["avg_pool2d" if type(m) is nn.AvgPool2d else "max_pool2d"]
            if k != "input"
        }
        return _pool_params(type(m).__name__, bound)
    if type(m) is nn.AdaptiveAvgPool2d:
        return _adaptive({"output_size": m.output_size})
    if type(m) is nn.Flatten:
        if m.start_dim != 1 or m.end_dim != -1:
            raise _Unmapped(f"flattens dims {m.start_dim} to {m.end_dim}; Netwright's Flatten keeps the batch only")
        return "layers.Flatten", {}
    if type(m) is nn.Dropout:
        return "layers.Dropout", {"p": float(m.p)}
    if type(m) is nn.Upsample:
        scale = m.scale_factor
        scale = scale[0] if isinstance(scale, tuple) and len(set(scale)) == 1 else scale
        if (
            m.size is not None
            or scale is None
            or float(scale) != int(scale)
            or m.mode not in ("nearest", "bilinear")
            or m.align_corners
        ):
            raise _Unmapped("needs a whole scale_factor, mode nearest or bilinear, align_corners off")
        return "layers.Upsample", {"scale_factor": int(scale), "mode": m.mode}
    simple = {nn.ReLU: "ReLU", nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh"}
    if type(m) in simple:
        return f"activations.{simple[type(m)]}", {}
    if type(m) is nn.LeakyReLU:
        return "activations.LeakyReLU", {"negative_slope": float(m.negative_slope)}
    if type(m) is nn.ELU:
        return "activations.ELU", {"alpha": float(m.alpha)}
    if type(m) is nn.GELU:
        return "activations.GELU", {"approximate": m.approximate}
    if type(m) in (nn.Softmax, nn.LogSoftmax):
        return _softmax(f"activations.{type(m).__name__}")({"dim": m.dim}, in_shape)
    raise _Unmapped("has no Netwright node")


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["LeafTracer", "import_module", "import_pytorch", "load_model_class"]
