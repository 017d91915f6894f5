"""Reusable blocks: the built-in ones, a user's own library, and repeating a block in a chain.

A `BlockTemplate` is a block lifted out of a graph: its nodes and inner edges under local ids
(`conv1`, not `res2_conv1`), its nested blocks, which member ports take the outside inputs and
which give its outputs. Inserting a template as block `res2` names its nodes `res2_conv1`, ...,
so two copies of one template export as one reused class (engine/export/block_classes.py).

Built-in templates: Conv-BN-ReLU, a basic residual block, an MLP block and a branch-and-concat
(Inception-style) block. A user's own blocks are kept by engine/graph/block_library.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.graph.grouping import block_ports, nodes_in, parents
from engine.graph.model import Block, Graph, GraphError, node_id_problem
from engine.registry import catalog

PortRef = tuple[str, str]


@dataclass
class BlockTemplate:
    """A block that can be inserted into any graph: nodes under local ids, and where data goes in and out."""

    title: str
    graph: Graph  # the block's nodes, inner edges and nested blocks (not the block itself)
    inputs: list[list[PortRef]]  # one group per outside value; each port of a group gets that value
    outputs: list[PortRef]
    prefix: str = "block"  # how inserted copies are named: res1, res2, ...
    description: str = ""


@dataclass
class InsertedBlock:
    """A block just placed in a graph: where to connect its inputs, and its outputs."""

    block: Block
    inputs: list[list[PortRef]]
    outputs: list[PortRef] = field(default_factory=list)

    @property
    def output(self) -> PortRef:
        return self.outputs[0]


# -- built-in blocks --------------------------------------------------------------------------------


def _template(title: str, prefix: str, description: str) -> Callable[[Callable], Callable[..., BlockTemplate]]:
    def wrap(build: Callable[[Graph], tuple[list[list[PortRef]], list[PortRef]]]) -> Callable[..., BlockTemplate]:
        def make(**options: Any) -> BlockTemplate:
            graph = Graph()
            inputs, outputs = build(graph, **options)
            return BlockTemplate(title, graph, inputs, outputs, prefix, description)

        make.__doc__ = description
        return make

    return wrap


@_template("Conv-BN-ReLU", "cbr", "A 2-D convolution (same padding), batch normalization and ReLU.")
def _conv_bn_relu(graph: Graph, channels: int = 16, kernel_size: int = 3) -> tuple:
    graph.add_node(
        "layers.Conv2d", {"out_channels": channels, "kernel_size": kernel_size, "padding": kernel_size // 2}, "conv"
    )
    graph.add_node("layers.BatchNorm2d", node_id="bn")
    graph.add_node("activations.ReLU", node_id="relu")
    graph.connect("conv", "out", "bn", "in")
    graph.connect("bn", "out", "relu", "in")
    return [[("conv", "in")]], [("relu", "out")]


@_template(
    "Residual block",
    "res",
    "Two 3x3 Conv-BN layers with a skip connection added before the last ReLU (ResNet's basic block); "
    "`channels` must equal the channels that come in.",
)
def _residual(graph: Graph, channels: int = 16) -> tuple:
    for index in (1, 2):
        graph.add_node("layers.Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1}, f"conv{index}")
        graph.add_node("layers.BatchNorm2d", node_id=f"bn{index}")
        graph.connect(f"conv{index}", "out", f"bn{index}", "in")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("merge.Add", node_id="add")
    graph.add_node("activations.ReLU", node_id="relu")
    graph.connect("bn1", "out", "relu1", "in")
    graph.connect("relu1", "out", "conv2", "in")
    graph.connect("bn2", "out", "add", "a")
    graph.connect("add", "out", "relu", "in")
    return [[("conv1", "in"), ("add", "b")]], [("relu", "out")]


@_template("MLP block", "mlp", "Linear layers with ReLU (and optional dropout) between them.")
def _mlp(graph: Graph, hidden: Sequence[int] = (128, 64), dropout: float = 0.0) -> tuple:
    previous: PortRef | None = None
    first: PortRef | None = None
    for index, width in enumerate(hidden, start=1):
        graph.add_node("layers.Linear", {"out_features": int(width)}, f"fc{index}")
        graph.add_node("activations.ReLU", node_id=f"relu{index}")
        if previous is not None:
            graph.connect(*previous, f"fc{index}", "in")
        first = first or (f"fc{index}", "in")
        graph.connect(f"fc{index}", "out", f"relu{index}", "in")
        previous = (f"relu{index}", "out")
        if dropout:
            graph.add_node("layers.Dropout", {"p": float(dropout)}, f"drop{index}")
            graph.connect(*previous, f"drop{index}", "in")
            previous = (f"drop{index}", "out")
    if first is None or previous is None:
        raise GraphError("an MLP block needs at least one hidden layer")
    return [[first]], [previous]


@_template(
    "Branch and concat",
    "branch",
    "Inception-style: 1x1, 3x3 and 5x5 convolutions and a 3x3 max-pool + 1x1 convolution side by side, "
    "concatenated along the channels.",
)
def _branch_concat(graph: Graph, channels: int = 8) -> tuple:
    for kernel in (1, 3, 5):
        graph.add_node(
            "layers.Conv2d", {"out_channels": channels, "kernel_size": kernel, "padding": kernel // 2}, f"conv{kernel}"
        )
        graph.add_node("activations.ReLU", node_id=f"relu{kernel}")
        graph.connect(f"conv{kernel}", "out", f"relu{kernel}", "in")
    graph.add_node("layers.MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, "pool")
    graph.add_node("layers.Conv2d", {"out_channels": channels, "kernel_size": 1}, "pool_conv")
    graph.add_node("activations.ReLU", node_id="pool_relu")
    graph.connect("pool", "out", "pool_conv", "in")
    graph.connect("pool_conv", "out", "pool_relu", "in")
    graph.add_node("merge.Concat", {"dim": 0}, "concat")
    for port, source in zip("abcd", ("relu1", "relu3", "relu5", "pool_relu"), strict=True):
        graph.connect(source, "out", "concat", port)
    return [[("conv1", "in"), ("conv3", "in"), ("conv5", "in"), ("pool", "in")]], [("concat", "out")]


BUILTIN_BLOCKS: dict[str, Callable[..., BlockTemplate]] = {
    "conv_bn_relu": _conv_bn_relu,
    "residual": _residual,
    "mlp": _mlp,
    "branch_concat": _branch_concat,
}


def builtin_block(name: str, **options: Any) -> BlockTemplate:
    """A built-in template by name (`conv_bn_relu`, `residual`, `mlp`, `branch_concat`)."""
    if name not in BUILTIN_BLOCKS:
        raise GraphError(f"no built-in block {name!r}; expected one of {', '.join(BUILTIN_BLOCKS)}")
    return BUILTIN_BLOCKS[name](**options)


# -- inserting ------------------------------------------------------------------------------------


def insert_block(
    graph: Graph,
    template: BlockTemplate,
    sources: Sequence[PortRef] = (),
    block_id: str | None = None,
    parent: str | None = None,
) -> InsertedBlock:
    """Add a copy of `template` to `graph` as a new block (inside block `parent` if given).

    Each `sources[i]` (node, port) is connected to the ports of input group i. Node ids are the
    block id, `_`, and the template's local ids: `res2_conv1`.
    """
    if len(sources) > len(template.inputs):
        raise GraphError(f"{template.title} takes {len(template.inputs)} input(s), {len(sources)} given")
    if parent is not None and parent not in graph.blocks:
        raise GraphError(f"no block with id {parent!r}")
    local_ids = [*template.graph.nodes, *template.graph.blocks]
    if block_id is None:
        block_id = _free_block_id(graph, template.prefix, local_ids)
    for new_id in [block_id, *(f"{block_id}_{local}" for local in local_ids)]:
        if new_id in graph.nodes or new_id in graph.blocks:
            raise GraphError(f"cannot insert block {block_id!r}: the id {new_id!r} is taken")
        if problem := node_id_problem(new_id):
            raise GraphError(f"cannot insert block {block_id!r}: {problem}")

    def rename(local: str) -> str:
        return f"{block_id}_{local}"

    for node in template.graph.nodes.values():
        graph.add_node(node.type_id, dict(node.params), rename(node.id), dict(node.ui))
    for edge in template.graph.edges:
        graph.connect(rename(edge.src), edge.src_port, rename(edge.dst), edge.dst_port)
    held = parents(template.graph)
    for inner in template.graph.blocks.values():
        graph.blocks[rename(inner.id)] = Block(
            rename(inner.id),
            inner.title,
            [rename(n) for n in inner.nodes],
            [rename(b) for b in inner.blocks],
            inner.collapsed,
            dict(inner.ui),
        )
    top_nodes = [rename(n) for n in template.graph.nodes if n not in held]
    top_blocks = [rename(b) for b in template.graph.blocks if b not in held]
    block = Block(block_id, template.title, top_nodes, top_blocks)
    graph.blocks[block_id] = block
    if parent is not None:
        graph.blocks[parent].blocks.append(block_id)
    inputs = [[(rename(n), p) for n, p in group] for group in template.inputs]
    for source, group in zip(sources, inputs, strict=False):
        for node_id, port in group:
            graph.connect(*source, node_id, port)
    return InsertedBlock(block, inputs, [(rename(n), p) for n, p in template.outputs])


def _free_block_id(graph: Graph, prefix: str, local_ids: list[str]) -> str:
    number = 1
    while True:
        candidate = f"{prefix}{number}"
        ids = [candidate, *(f"{candidate}_{local}" for local in local_ids)]
        if not any(i in graph.nodes or i in graph.blocks for i in ids):
            return candidate
        number += 1


# -- templates from blocks, repeating ---------------------------------------------------------------


def template_of(graph: Graph, block_id: str) -> BlockTemplate:
    """Lift block `block_id` out of `graph` as a template (local ids drop the `block_id_` prefix)."""
    return _lift(graph, block_id)[0]


def _lift(graph: Graph, block_id: str) -> tuple[BlockTemplate, dict[str, str]]:
    """The template of a block and each of its node and block ids -> its local id."""
    if block_id not in graph.blocks:
        raise GraphError(f"no block with id {block_id!r}")
    inside = nodes_in(graph, block_id)
    nested = _nested_blocks(graph, block_id)
    prefix = f"{block_id}_"
    stripped = {i: i[len(prefix) :] if i.startswith(prefix) else i for i in [*inside, *nested]}
    if len(set(stripped.values())) != len(stripped) or any(node_id_problem(v) for v in stripped.values()):
        stripped = {i: i for i in stripped}
    sub = Graph()
    for node_id in inside:
        node = graph.nodes[node_id]
        sub.add_node(node.type_id, dict(node.params), stripped[node_id], dict(node.ui))
    members = set(inside)
    for edge in graph.edges:
        if edge.src in members and edge.dst in members:
            sub.connect(stripped[edge.src], edge.src_port, stripped[edge.dst], edge.dst_port)
    for inner in nested:
        block = graph.blocks[inner]
        sub.blocks[stripped[inner]] = Block(
            stripped[inner],
            block.title,
            [stripped[n] for n in block.nodes],
            [stripped[b] for b in block.blocks],
            block.collapsed,
            dict(block.ui),
        )
    ports = block_ports(graph, block_id)
    groups: dict[PortRef, list[PortRef]] = {}
    for port in ports.inputs:
        for edge in port.edges:
            groups.setdefault((edge.src, edge.src_port), []).append((stripped[port.node_id], port.port))
    outputs = [(stripped[p.node_id], p.port) for p in ports.outputs]
    if not outputs:  # nothing reads the block yet: its outputs are the ports nothing inside reads
        outputs = _unread_outputs(sub)
    title = graph.blocks[block_id].title or block_id
    short = re.sub(r"\d+$", "", block_id) or "block"
    return BlockTemplate(title, sub, list(groups.values()), outputs, short), stripped


def _unread_outputs(sub: Graph) -> list[PortRef]:
    registry = catalog()
    read = {(e.src, e.src_port) for e in sub.edges}
    found = []
    for node in sub.nodes.values():
        if node.type_id in registry:
            found += [(node.id, p.name) for p in registry.get(node.type_id).outputs if (node.id, p.name) not in read]
    return found


def _nested_blocks(graph: Graph, block_id: str) -> list[str]:
    found, todo = [], list(graph.blocks[block_id].blocks)
    while todo:
        current = todo.pop(0)
        found.append(current)
        todo.extend(graph.blocks[current].blocks)
    return found


def repeat_block(graph: Graph, block_id: str, times: int) -> list[str]:
    """Chain `times` copies of a block in all: copies follow it, each fed by the one before.

    What read the block's output now reads the last copy's. The block must have one output and
    one input value (all its inputs fed by the same outside value). Returns the ids of all copies,
    the original first.
    """
    if times < 1:
        raise GraphError(f"repeat a block 1 or more times, received {times}")
    template, stripped = _lift(graph, block_id)
    ports = block_ports(graph, block_id)
    if len(template.outputs) != 1 or len(template.inputs) != 1:
        raise GraphError(
            f"block `{block_id}` has {len(template.inputs)} inputs and {len(template.outputs)} outputs; "
            "only a block with one input and one output can be chained"
        )
    downstream = list(ports.outputs[0].edges) if ports.outputs else []
    parent = parents(graph).get(block_id)
    original = {local: item for item, local in stripped.items()}
    previous = (original[template.outputs[0][0]], template.outputs[0][1])
    ids = [block_id]
    for _ in range(times - 1):
        inserted = insert_block(graph, template, [previous], parent=parent)
        ids.append(inserted.block.id)
        previous = inserted.output
    for edge in downstream:
        graph.disconnect(edge)
        graph.connect(*previous, edge.dst, edge.dst_port)
    return ids
