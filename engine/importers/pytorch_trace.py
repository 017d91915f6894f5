"""Tracing a model for import: torch.fx first, torch.export where fx meets Python control flow.

Both give the importer the same thing: a module-level `torch.fx` graph whose leaf modules
(nn.Conv2d, nn.ReLU, nn.LSTM, ...) are `call_module` nodes and whose other work is torch calls,
each node carrying `meta["scope"]`, the attribute path of the module whose forward made the call
(`layer1.0` for the `+` in a ResNet block), which is what turns user-written submodules into blocks.

torch.fx runs `forward` on proxies, so `if x.is_cuda and self.ngpu > 1` (DCGAN) cannot be traced.
torch.export (non-strict) runs it on fake tensors of the example's shape and keeps the branch taken;
its program holds ATen operators, which this module folds back into the leaf-module calls they came
from (by each operator's `nn_module_stack`) and into the torch functions of the same name.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

FX = "torch.fx"
EXPORT = "torch.export"


class LeafTracer(fx.Tracer):
    """torch.nn modules are leaves, recurrent ones included (also subclasses defined elsewhere)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, nn.RNNBase) or super().is_leaf_module(m, qualname)


class TraceFailed(Exception):
    """Neither tracer could follow the model's forward; the message says why, one line."""


@dataclass
class Trace:
    module: fx.GraphModule
    tracer: str  # FX or EXPORT
    fx_failure: str | None = None  # why torch.fx could not trace it, when torch.export did


def trace_model(model: nn.Module, example: torch.Tensor, name: str) -> Trace:
    """Trace `model` with torch.fx, or with torch.export when fx fails; raise TraceFailed when both do."""
    try:
        graph = LeafTracer().trace(model)
    except Exception as exc:  # control flow on tensors, len() of a proxy, ...
        fx_failure = f"{type(exc).__name__}: {first_line(exc)}"
    else:
        for node in graph.nodes:
            node.meta["scope"] = _fx_scope(node)
        return Trace(fx.GraphModule(model, graph, class_name=name), FX)
    try:
        program = torch.export.export(model, (example,), strict=False)
    except Exception as exc:
        raise TraceFailed(
            f"torch.fx could not trace {name} ({fx_failure}) and torch.export could not either "
            f"({type(exc).__name__}: {first_line(exc)})"
        ) from None
    return Trace(_module_level(model, program, name), EXPORT, fx_failure)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fx_scope(node: fx.Node) -> str:
    stack = list((node.meta.get("nn_module_stack") or {}).values())
    if node.op == "call_module" and stack:
        stack = stack[:-1]  # the leaf itself: its scope is the module calling it
    return stack[-1][0] if stack else ""


# -- torch.export's ATen program -> a module-level fx graph ----------------------------------------------

# ATen operators whose torch function has another name or is a tensor method.
_METHODS = {"sym_size": "size", "view": "reshape", "_unsafe_view": "reshape", "clone": "clone", "alias": "clone"}


def _module_level(model: nn.Module, program: torch.export.ExportedProgram, name: str) -> fx.GraphModule:
    specs = {spec.arg.name: spec for spec in program.graph_signature.input_specs}
    user_inputs = {name for name, spec in specs.items() if spec.kind.name == "USER_INPUT"}
    nodes = list(program.graph.nodes)
    leaf_of = {node: _leaf_call(model, node) for node in nodes}
    members: dict[str, list[fx.Node]] = {}
    for node, call in leaf_of.items():
        if call is not None:
            members.setdefault(call[0], []).append(node)
    last_member = {group[-1]: key for key, group in members.items()}
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    root: dict[str, Any] = {}

    def value_of(node: fx.Node) -> fx.Node:
        if node not in env:  # a parameter, buffer or constant used outside any leaf module: read as an attribute
            target = specs[node.name].target
            root[target] = program.constants[target] if target in program.constants else _attribute(model, target)
            env[node] = graph.get_attr(target)
            env[node].meta["scope"] = ""
        return env[node]

    def mapped(value: Any) -> Any:
        return fx.node.map_arg(value, value_of)

    for node in nodes:
        if node.op == "placeholder":
            if node.name in user_inputs:
                env[node] = graph.placeholder(node.name)
        elif node.op == "get_attr":
            root[node.target] = getattr(program.graph_module, node.target)
            env[node] = graph.get_attr(node.target)
            env[node].meta["scope"] = ""
        elif node.op == "output":
            outputs = mapped(node.args[0])
            graph.output(outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs)
        elif leaf_of[node] is not None:
            if node in last_member:
                _fold_leaf(graph, env, members[last_member[node]], leaf_of[node], model, root)
        else:
            env[node] = _torch_call(graph, node, mapped)
            env[node].meta["scope"] = _scope(node)
    return fx.GraphModule(root, graph, class_name=name)


def _attribute(model: nn.Module, target: str) -> Any:
    holder, _, name = target.rpartition(".")
    return getattr(model.get_submodule(holder) if holder else model, name)


def _leaf_call(model: nn.Module, node: fx.Node) -> tuple[str, str, str] | None:
    """(stack key, module path, calling scope) of the outermost leaf module the operator belongs to."""
    if node.op != "call_function":
        return None
    tracer = LeafTracer()
    entries = list((node.meta.get("nn_module_stack") or {}).items())
    for index, (key, (path, _)) in enumerate(entries):
        if not path:
            continue
        try:
            module = model.get_submodule(path)
        except AttributeError:
            return None
        if tracer.is_leaf_module(module, path):
            return key, path, entries[index - 1][1][0] if index else ""
    return None


def _fold_leaf(
    graph: fx.Graph,
    env: dict[fx.Node, fx.Node],
    group: list[fx.Node],
    call: tuple[str, str, str],
    model: nn.Module,
    root: dict[str, Any],
) -> None:
    """One leaf module's operators -> one call_module node fed by what flows in from outside the group."""
    _, path, scope = call
    inside = set(group)
    inputs: list[fx.Node] = []
    for node in group:
        for arg in node.all_input_nodes:
            if arg not in inside and arg in env and arg.op != "get_attr" and arg not in inputs:  # not constants
                inputs.append(arg)
    outputs = [n for n in group if any(user not in inside for user in n.users)]
    root[path] = model.get_submodule(path)
    result = graph.call_module(path, tuple(env[n] for n in inputs))
    result.meta["scope"] = scope
    if len(outputs) == 1:
        env[outputs[0]] = result
        return
    for index, node in enumerate(outputs):  # e.g. a recurrent layer's output and state
        env[node] = graph.call_function(operator.getitem, (result, index))
        env[node].meta["scope"] = scope


def _torch_call(graph: fx.Graph, node: fx.Node, mapped) -> fx.Node:
    """An ATen operator outside any leaf module as the torch call the importer knows (aten.add -> torch.add)."""
    args, kwargs = mapped(node.args), mapped(node.kwargs)
    target = node.target
    if not isinstance(target, torch._ops.OpOverload):
        return graph.call_function(target, args, kwargs)  # operator.getitem, sym ops
    op = target._overloadpacket.__name__
    op = op[:-1] if op.endswith("_") and not op.startswith("_") else op  # relu_ -> relu
    if op in _METHODS:
        return graph.call_method(_METHODS[op], args, kwargs)
    function = getattr(torch, op, None) or getattr(F, op, None)
    if function is None:
        return graph.call_function(target, args, kwargs)  # reported by name as having no node
    return graph.call_function(function, args, kwargs)


def _scope(node: fx.Node) -> str:
    stack = list((node.meta.get("nn_module_stack") or {}).values())
    return stack[-1][0] if stack else ""
