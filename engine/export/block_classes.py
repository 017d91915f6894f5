"""Blocks in the `python` export: one `nn.Module` class per kind of block, reused by identical blocks.

The graph's blocks (engine/graph/grouping.py) become nested modules of the exported model:
`self.res1 = ResidualBlock()`, and a second block with the same layers, settings and wiring is
another `ResidualBlock()`, not a copy of its code. Inside a block class a layer is named by its
local name: its node id without the block's id prefix (`res1_conv1` in block `res1` is `conv1`),
which is what makes two blocks' classes equal.

The weights stay keyed by node id, as in every Netwright weights file (`res1_conv1.weight`);
`NODE_PATHS` in the exported file says where each layer sits in the model (`res1.conv1`) and
`load_model()` places the tensors by it. `module_paths` gives the same mapping to train().

A block is exported as a class when all its nodes belong to the exported model and its inputs
do not depend on its own outputs through nodes outside it; otherwise its contents are written
inline, as if it were not there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.export.model_part import ModelPart
from engine.graph.grouping import nodes_in, parents
from engine.graph.model import node_id_problem
from engine.registry import NodeContext, catalog

INDENT = "    "
PortRef = tuple[str, str]


@dataclass
class _Scope:
    """The model class or one block class: the nodes and child blocks it holds directly."""

    block_id: str | None
    items: list[str] = field(default_factory=list)  # node and block ids in forward order
    local: dict[str, str] = field(default_factory=dict)  # item id -> attribute / variable name
    inputs: list[PortRef] = field(default_factory=list)  # outside values the block reads
    outputs: list[PortRef] = field(default_factory=list)  # inside values read outside it


@dataclass
class BlockLayout:
    """Which blocks the export writes as classes, and where each layer sits in the model."""

    part: ModelPart
    exported: set[str]
    owner: dict[str, str | None]  # node or exported block -> the exported block holding it
    scopes: dict[str | None, _Scope]

    def path(self, node_id: str) -> str:
        """`res1.conv1`: the attribute path of a node's module in the exported model."""
        names = [self.scopes[self.owner.get(node_id)].local[node_id]]
        current = self.owner.get(node_id)
        while current is not None:
            holder = self.owner.get(current)
            names.append(self.scopes[holder].local[current])
            current = holder
        return ".".join(reversed(names))


def block_layout(part: ModelPart) -> BlockLayout:
    graph = part.graph
    in_model = [n for n in part.analysis.order if n in part.program._modules]
    members = set(in_model)
    exported = {b for b in graph.blocks if _exportable(part, b, members)}
    holder = parents(graph)

    def nearest(item: str) -> str | None:
        current = holder.get(item)
        while current is not None and current not in exported:
            current = holder.get(current)
        return current

    owner: dict[str, str | None] = {n: nearest(n) for n in in_model}
    owner.update({b: nearest(b) for b in exported})
    scopes: dict[str | None, _Scope] = {None: _Scope(None)}
    scopes.update({b: _Scope(b) for b in graph.blocks if b in exported})
    for item, scope in owner.items():
        scopes[scope].local[item] = item
    for scope in scopes.values():
        _choose_local_names(scope)
    layout = BlockLayout(part, exported, owner, scopes)
    for scope in scopes.values():
        _order_items(layout, scope, in_model)
    return layout


def module_paths(part: ModelPart) -> dict[str, str]:
    """Node id -> attribute path in the exported model, for the nodes inside exported blocks."""
    if not part.graph.blocks:
        return {}
    layout = block_layout(part)
    return {n: layout.path(n) for n in layout.owner if n in part.graph.nodes and layout.owner[n] is not None}


def _exportable(part: ModelPart, block_id: str, members: set[str]) -> bool:
    graph = part.graph
    inside = set(nodes_in(graph, block_id))
    if not inside or not inside <= members:
        return False
    # Outside nodes both downstream and upstream of the block would make its forward run twice.
    downstream: set[str] = set()
    todo = [s for n in inside for s in graph.successors(n) if s not in inside]
    while todo:
        current = todo.pop()
        if current not in downstream:
            downstream.add(current)
            todo.extend(graph.successors(current))
    upstream = graph.ancestors(inside) - inside
    return not downstream & upstream


def _choose_local_names(scope: _Scope) -> None:
    """Inside a block `res1`, `res1_conv1` is `conv1` (when every stripped name is usable and distinct)."""
    if scope.block_id is None:
        return
    prefix = f"{scope.block_id}_"
    stripped = {item: item[len(prefix) :] if item.startswith(prefix) else item for item in scope.local}
    names = list(stripped.values())
    if len(set(names)) == len(names) and all(node_id_problem(n) is None for n in names):
        scope.local.update(stripped)


def _order_items(layout: BlockLayout, scope: _Scope, in_model: list[str]) -> None:
    """The scope's items in an order where each one's inputs are computed before it."""
    graph, owner = layout.part.graph, layout.owner
    rank = {n: i for i, n in enumerate(in_model)}

    def item_of(node_id: str) -> str | None:
        """The item of `scope` that holds `node_id`, or None when the node lies outside the scope."""
        current: str | None = node_id
        while current is not None and current in owner:
            if owner[current] == scope.block_id:
                return current
            current = owner[current]
        return None

    first: dict[str, int] = {}
    depends: dict[str, set[str]] = {}
    for node_id in in_model:
        item = item_of(node_id)
        if item is None:
            continue
        first.setdefault(item, rank[node_id])
        depends.setdefault(item, set())
        for edge in graph.edges_into(node_id):
            source = item_of(edge.src) if edge.src in owner else None
            if source is not None and source != item:
                depends[item].add(source)
            elif source is None and (edge.src, edge.src_port) not in scope.inputs:
                scope.inputs.append((edge.src, edge.src_port))
        for edge in graph.edges_out_of(node_id):
            leaves = edge.dst not in owner or item_of(edge.dst) is None
            if leaves and (edge.src, edge.src_port) not in scope.outputs:
                scope.outputs.append((edge.src, edge.src_port))
    if scope.block_id is not None and item_of(layout.part.output) is not None:
        port = catalog().get(graph.nodes[layout.part.output].type_id).outputs[0].name
        if (layout.part.output, port) not in scope.outputs:
            scope.outputs.append((layout.part.output, port))
    done: list[str] = []
    waiting = sorted(first, key=first.get)
    while waiting:
        ready = next(i for i in waiting if depends[i] <= set(done))
        done.append(ready)
        waiting.remove(ready)
    scope.items = done


# -- writing the classes ------------------------------------------------------------------------


def block_classes(layout: BlockLayout, taken: set[str]) -> tuple[list[list[str]], dict[str | None, str]]:
    """The source of each block class (inner ones first) and the class name of each exported block."""
    sources: list[list[str]] = []
    names: dict[str | None, str] = {}
    by_body: dict[str, str] = {}

    def write(block_id: str) -> None:
        scope = layout.scopes[block_id]
        for item in scope.items:
            if item in layout.exported and item not in names:
                write(item)
        body = _class_body(layout, scope, names)
        key = "\n".join(body)
        if key not in by_body:
            name = _free_class_name(layout.part.graph.blocks[block_id].title or block_id, taken)
            taken.add(name)
            by_body[key] = name
            title = layout.part.graph.blocks[block_id].title or block_id
            doc = (
                f'{INDENT}"""Block `{block_id}` ({title}) of the Netwright graph; identical blocks reuse this class."""'
            )
            sources.append([f"class {name}(nn.Module):", doc, "", *body])
        names[block_id] = by_body[key]

    for item in layout.scopes[None].items:
        if item in layout.exported:
            write(item)
    return sources, names


def scope_lines(
    layout: BlockLayout, block_id: str | None, names: dict[str | None, str]
) -> tuple[list[str], list[str], dict[PortRef, str]]:
    """The `__init__` lines, `forward` lines and value variables of one scope (the model class: None)."""
    scope = layout.scopes[block_id]
    graph, registry = layout.part.graph, catalog()
    values = _input_names(layout, scope)
    init: list[str] = []
    forward: list[str] = []
    for item in scope.items:
        local = scope.local[item]
        if item in layout.exported:
            child = layout.scopes[item]
            init.append(f"self.{local} = {names[item]}()")
            args = ", ".join(values[ref] for ref in child.inputs)
            results = [f"{local}_{_value_name(layout, child, ref)}" for ref in child.outputs]
            if len(results) == 1:
                results = [local]
            forward.append(f"{', '.join(results) or '_'} = self.{local}({args})")
            values.update(zip(child.outputs, results, strict=True))
            continue
        node = graph.nodes[item]
        node_type = registry.get(node.type_id)
        incoming = graph.edges_into(item)  # a `multiple` port's edges in the order they were connected
        inputs, args = {}, []
        for port in node_type.inputs:
            for edge in (e for e in incoming if e.dst_port == port.name):
                inputs.setdefault(port.name, layout.part.analysis.specs[(edge.src, edge.src_port)])
                args.append(values[(edge.src, edge.src_port)])
        ctx = NodeContext(local, dict(node.params), inputs, args)
        line = node_type.codegen.init_line(ctx)
        if line is not None:
            init.append(line)
        forward += node_type.codegen.forward_lines(ctx)
        for port in node_type.outputs:
            values[(item, port.name)] = local if len(node_type.outputs) == 1 else f"{local}_{port.name}"
    return init, forward, values


def _class_body(layout: BlockLayout, scope: _Scope, names: dict[str | None, str]) -> list[str]:
    init, forward, _ = scope_lines(layout, scope.block_id, names)
    values = _input_names(layout, scope)
    arguments = ", ".join(values[ref] for ref in scope.inputs)
    returned = ", ".join(_value_name(layout, scope, ref) for ref in scope.outputs)
    return [
        f"{INDENT}def __init__(self):",
        f"{INDENT * 2}super().__init__()",
        *(INDENT * 2 + line for line in init),
        "",
        f"{INDENT}def forward(self, {arguments}):",
        *(INDENT * 2 + line for line in forward),
        f"{INDENT * 2}return {returned}",
    ]


def _input_names(layout: BlockLayout, scope: _Scope) -> dict[PortRef, str]:
    if scope.block_id is None:
        return {(i.node_id, i.port): i.name for i in layout.part.inputs}
    taken = set(scope.local.values())
    base = ["x"] if len(scope.inputs) == 1 else [f"x{i + 1}" for i in range(len(scope.inputs))]
    names = []
    for name in base:
        while name in taken or any(v.startswith(name + "_") for v in taken):
            name = "_" + name
        names.append(name)
    return dict(zip(scope.inputs, names, strict=True))


def _value_name(layout: BlockLayout, scope: _Scope, ref: PortRef) -> str:
    """The variable a block's forward holds an inside value in (a nested block's result included)."""
    node_id, port = ref
    item, child = node_id, layout.owner.get(node_id)
    while child is not None and child != scope.block_id:
        item, child = child, layout.owner.get(child)
    if item != node_id:  # the value comes out of a nested block
        inner = layout.scopes[item]
        if len(inner.outputs) == 1:
            return scope.local[item]
        return f"{scope.local[item]}_{_value_name(layout, inner, ref)}"
    outputs = catalog().get(layout.part.graph.nodes[node_id].type_id).outputs
    return scope.local[node_id] if len(outputs) == 1 else f"{scope.local[node_id]}_{port}"


def _free_class_name(title: str, taken: set[str]) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Block"
    if name[0].isdigit():
        name = "Block" + name
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    return candidate
