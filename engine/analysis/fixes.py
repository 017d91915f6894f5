"""Quick fixes on a graph: locating the ones shape rules raise, and applying a problem's fix.

The fix types live in `engine.registry.fixes`; the editor shows `fix.describe()` on a button and
calls `apply_fix` inside one undoable edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from engine.graph.layout import COLUMN_STEP, estimated_height, position, set_position
from engine.graph.model import Graph, GraphError
from engine.registry import NodeType, ParamError, TensorSpec, catalog
from engine.registry.fixes import (
    AddNode,
    Connect,
    InsertNode,
    QuickFix,
    RemoveNode,
    SetParam,
    SetUpstreamParam,
    ShapeFix,
)

PortRef = tuple[str, str]


def locate(
    fix: QuickFix | ShapeFix, node_id: str, graph: Graph, specs: Mapping[PortRef, TensorSpec]
) -> QuickFix | None:
    """The fix a shape rule of `node_id` raised, made to name the nodes it changes.

    None when there is no node it could change (then the problem's hint alone says what to do).
    `specs` are the output shapes inferred so far (everything upstream of `node_id`).
    """
    if isinstance(fix, InsertNode) and not fix.node:
        return dataclasses.replace(fix, node=node_id)
    if isinstance(fix, SetUpstreamParam):
        owner = _upstream_owner(graph, node_id, fix.port, fix.param, specs)
        if owner is None:
            return None
        try:
            _node_type(graph, owner).param_index[fix.param].check(fix.value)
        except ParamError:
            return None  # never offer a fix that applying would refuse
        return SetParam(owner, fix.param, fix.value)
    return fix


def _upstream_owner(
    graph: Graph, node_id: str, port: str, param: str, specs: Mapping[PortRef, TensorSpec]
) -> str | None:
    """The nearest node feeding input `port` of `node_id` that has parameter `param`.

    The walk passes only through nodes with one input whose output has the input's shape
    (activations, dropout, normalization), so the value set there is the one that arrives.
    """
    edges = [e for e in graph.edges_into(node_id) if e.dst_port == port]
    seen: set[str] = set()
    while len(edges) == 1 and edges[0].src not in seen:
        current = edges[0].src
        seen.add(current)
        node_type = _node_type(graph, current)
        if node_type is None:
            return None
        if param in node_type.param_index:
            return current
        feeding = graph.edges_into(current)
        if len(feeding) != 1 or specs.get((feeding[0].src, feeding[0].src_port)) != specs.get(
            (current, edges[0].src_port)
        ):
            return None
        edges = feeding
    return None


def _node_type(graph: Graph, node_id: str) -> NodeType | None:
    registry = catalog()
    type_id = registry.resolve(graph.nodes[node_id].type_id)
    return registry.get(type_id) if type_id else None


# -- applying -----------------------------------------------------------------------------------


def apply_fix(graph: Graph, fix: QuickFix) -> list[str]:
    """Apply a problem's quick fix to `graph`; returns the ids of the nodes it added.

    Raises GraphError saying why when the fix no longer fits (the graph changed since the
    analysis that offered it), leaving `graph` unchanged.
    """
    apply = _APPLY.get(type(fix))
    if apply is None:
        raise GraphError(f"{fix!r} is not a quick fix that can be applied (a shape rule's fix must be located first)")
    return apply(graph, fix)


def _require_node(graph: Graph, node_id: str) -> NodeType:
    if node_id not in graph.nodes:
        raise GraphError(f"there is no node `{node_id}` any more")
    node_type = _node_type(graph, node_id)
    if node_type is None:
        raise GraphError(f"`{node_id}` has an unknown node type {graph.nodes[node_id].type_id!r}")
    return node_type


def _set_param(graph: Graph, fix: SetParam) -> list[str]:
    node_type = _require_node(graph, fix.node)
    param = node_type.param_index.get(fix.param)
    if param is None:
        raise GraphError(f"{node_type.title} `{fix.node}` has no parameter {fix.param!r}")
    try:
        value = param.check(fix.value)
    except ParamError as exc:
        raise GraphError(f"cannot set {fix.node}.{fix.param}: {exc.message}") from None
    graph.nodes[fix.node].params[fix.param] = value
    return []


def _connect(graph: Graph, fix: Connect) -> list[str]:
    src_type, dst_type = _require_node(graph, fix.src), _require_node(graph, fix.dst)
    if src_type.output_port(fix.src_port) is None:
        raise GraphError(f"{src_type.title} `{fix.src}` has no output `{fix.src_port}`")
    port = dst_type.input_port(fix.dst_port)
    if port is None:
        raise GraphError(f"{dst_type.title} `{fix.dst}` has no input `{fix.dst_port}`")
    if not port.multiple and any(e.dst_port == fix.dst_port for e in graph.edges_into(fix.dst)):
        raise GraphError(f"`{fix.dst}.{fix.dst_port}` is connected already")
    if fix.dst in graph.ancestors([fix.src]):
        raise GraphError(f"connecting {fix.src}.{fix.src_port} to {fix.dst}.{fix.dst_port} would make a cycle")
    graph.connect(fix.src, fix.src_port, fix.dst, fix.dst_port)
    return []


def _insert_node(graph: Graph, fix: InsertNode) -> list[str]:
    """Put the new node where `fix.node` is and move that node and everything downstream of it
    one column to the right, so the chain stays readable."""
    _require_node(graph, fix.node)
    registry = catalog()
    if fix.type_id not in registry:
        raise GraphError(f"unknown node type {fix.type_id!r}")
    new_type = registry.get(fix.type_id)
    params, errors = new_type.check_params(dict(fix.params))
    if errors:
        raise GraphError(f"cannot insert {new_type.title}: " + "; ".join(str(e) for e in errors))
    incoming = [e for e in graph.edges_into(fix.node) if e.dst_port == fix.port]
    if len(incoming) != 1:
        raise GraphError(f"`{fix.node}.{fix.port}` no longer has exactly one edge into it")
    [edge] = incoming
    x, y = position(graph, fix.node)
    for other in _descendants(graph, fix.node):
        ox, oy = position(graph, other)
        set_position(graph, other, ox + COLUMN_STEP, oy)
    new_id = graph.add_node(new_type.type_id, params=params).id
    set_position(graph, new_id, x, y)
    graph.disconnect(edge)
    graph.connect(edge.src, edge.src_port, new_id, new_type.inputs[0].name)
    graph.connect(new_id, new_type.outputs[0].name, fix.node, fix.port)
    return [new_id]


def _add_node(graph: Graph, fix: AddNode) -> list[str]:
    """Put the new node one column right of `fix.src` (below anything already there) and connect it."""
    src_type = _require_node(graph, fix.src)
    if src_type.output_port(fix.src_port) is None:
        raise GraphError(f"{src_type.title} `{fix.src}` has no output `{fix.src_port}`")
    registry = catalog()
    if fix.type_id not in registry:
        raise GraphError(f"unknown node type {fix.type_id!r}")
    new_type = registry.get(fix.type_id)
    if new_type.input_port(fix.port) is None:
        raise GraphError(f"{new_type.title} has no input `{fix.port}`")
    taken = [position(graph, n) + (estimated_height(graph, n),) for n in graph.nodes]
    new_id = graph.add_node(new_type.type_id).id
    x, y = position(graph, fix.src)
    x, height, gap = x + COLUMN_STEP, estimated_height(graph, new_id), 20.0
    while any(
        abs(ox - x) < COLUMN_STEP * 0.75 and y < oy + other + gap and oy < y + height + gap for ox, oy, other in taken
    ):
        y += 40.0
    set_position(graph, new_id, x, y)
    graph.connect(fix.src, fix.src_port, new_id, fix.port)
    return [new_id]


def _remove_node(graph: Graph, fix: RemoveNode) -> list[str]:
    """Take a one-input node out of its chain: its input's source feeds what it fed, on the same ports."""
    node_type = _require_node(graph, fix.node)
    incoming = graph.edges_into(fix.node)
    if len(incoming) != 1 or len(node_type.outputs) != 1:
        raise GraphError(f"`{fix.node}` no longer has exactly one input, so its input cannot go straight on")
    [edge] = incoming
    outgoing = list(graph.edges_out_of(fix.node))
    graph.remove_node(fix.node)
    for out in outgoing:
        graph.connect(edge.src, edge.src_port, out.dst, out.dst_port)
    return []


def _descendants(graph: Graph, node_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(graph.successors(current))
    return seen


_APPLY: dict[type, Callable[[Graph, QuickFix], list[str]]] = {
    InsertNode: _insert_node,
    AddNode: _add_node,
    Connect: _connect,
    SetParam: _set_param,
    RemoveNode: _remove_node,
}
