"""Blocks over a flat graph: making, dissolving and reading them.

A block (`engine.graph.model.Block`) groups nodes and other blocks; its ports are the edges that
cross its boundary. Node ids and block ids share one namespace, and a node keeps its id inside a
block, so weights, optimizer scopes and metrics keyed by node id do not change when nodes are
grouped or ungrouped. Problems name a node by its path, `block3/conv2`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.graph.model import Block, Edge, Graph, GraphError, node_id_problem


@dataclass(frozen=True)
class BlockPort:
    """One port of a block: a member node's port that an edge from outside reaches (or leaves)."""

    node_id: str
    port: str
    edges: tuple[Edge, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return f"{self.node_id}.{self.port}"


@dataclass(frozen=True)
class BlockPorts:
    inputs: tuple[BlockPort, ...]
    outputs: tuple[BlockPort, ...]


def parents(graph: Graph) -> dict[str, str]:
    """Each grouped node or block id -> the id of the block directly holding it."""
    owner: dict[str, str] = {}
    for block in graph.blocks.values():
        for member in (*block.nodes, *block.blocks):
            owner[member] = block.id
    return owner


def block_path(graph: Graph, item_id: str, owner: dict[str, str] | None = None) -> list[str]:
    """The blocks enclosing a node or block, outermost first (empty at the top level)."""
    owner = parents(graph) if owner is None else owner
    path: list[str] = []
    current = owner.get(item_id)
    while current is not None and current not in path:
        path.append(current)
        current = owner.get(current)
    return path[::-1]


def node_paths(graph: Graph) -> dict[str, str]:
    """`block3/conv2` for every node inside a block (nodes at the top level are left out)."""
    if not graph.blocks:
        return {}
    owner = parents(graph)
    return {n: "/".join([*block_path(graph, n, owner), n]) for n in owner if n in graph.nodes}


def node_path(graph: Graph, node_id: str) -> str:
    """How messages name a node: its id, after the blocks that hold it (`block3/conv2`)."""
    return "/".join([*block_path(graph, node_id), node_id])


def nodes_in(graph: Graph, block_id: str) -> list[str]:
    """Every node inside a block, nested blocks included, in graph order."""
    inside: set[str] = set()
    todo, seen = [block_id], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in graph.blocks:
            continue
        seen.add(current)
        inside.update(graph.blocks[current].nodes)
        todo.extend(graph.blocks[current].blocks)
    return [n for n in graph.nodes if n in inside]


def block_ports(graph: Graph, block_id: str) -> BlockPorts:
    """The block's inputs (member ports fed from outside) and outputs (member ports read outside)."""
    inside = set(nodes_in(graph, block_id))
    inputs: dict[tuple[str, str], list[Edge]] = {}
    outputs: dict[tuple[str, str], list[Edge]] = {}
    for edge in graph.edges:
        if edge.dst in inside and edge.src not in inside:
            inputs.setdefault((edge.dst, edge.dst_port), []).append(edge)
        elif edge.src in inside and edge.dst not in inside:
            outputs.setdefault((edge.src, edge.src_port), []).append(edge)
    order = {n: i for i, n in enumerate(graph.nodes)}

    def ports(found: dict[tuple[str, str], list[Edge]]) -> tuple[BlockPort, ...]:
        keys = sorted(found, key=lambda k: order[k[0]])
        return tuple(BlockPort(n, p, tuple(found[(n, p)])) for n, p in keys)

    return BlockPorts(ports(inputs), ports(outputs))


def free_block_id(graph: Graph, prefix: str = "block") -> str:
    return graph.free_id(prefix)


def make_block(
    graph: Graph, members: Iterable[str], title: str = "", block_id: str | None = None, collapsed: bool = True
) -> Block:
    """Group nodes and blocks of one level into a new block, placed where they were.

    Raises GraphError for an empty selection, an unknown id, a taken or bad block id, or a
    selection that spans several levels (a node inside a block together with one outside it).
    """
    chosen = list(dict.fromkeys(members))
    if not chosen:
        raise GraphError("select the nodes to group into a block")
    for item in chosen:
        if item not in graph.nodes and item not in graph.blocks:
            raise GraphError(f"no node or block with id {item!r}")
    owner = parents(graph)
    levels = {owner.get(item) for item in chosen}
    if len(levels) > 1:
        named = ", ".join(sorted(f"`{node_path(graph, i)}`" for i in chosen))
        raise GraphError(f"a block groups items of one level; the selection spans several: {named}")
    if block_id is None:
        block_id = free_block_id(graph)
    elif block_id in graph.nodes or block_id in graph.blocks:
        raise GraphError(f"a {'node' if block_id in graph.nodes else 'block'} with id {block_id!r} already exists")
    elif problem := node_id_problem(block_id):
        raise GraphError(problem.replace("node id", "block id"))
    nodes = [n for n in graph.nodes if n in chosen]
    blocks = [b for b in chosen if b in graph.blocks]
    block = Block(block_id, title or block_id, nodes, blocks, collapsed)
    parent = levels.pop()
    if parent is not None:
        holder = graph.blocks[parent]
        holder.nodes = [n for n in holder.nodes if n not in chosen]
        holder.blocks = [b for b in holder.blocks if b not in chosen] + [block_id]
    graph.blocks[block_id] = block
    return block


def ungroup(graph: Graph, block_id: str) -> list[str]:
    """Dissolve a block: its nodes and nested blocks move to the block that held it. Returns them."""
    if block_id not in graph.blocks:
        raise GraphError(f"no block with id {block_id!r}")
    block = graph.blocks.pop(block_id)
    parent = parents(graph).get(block_id)
    if parent is not None:
        holder = graph.blocks[parent]
        holder.nodes = [n for n in graph.nodes if n in holder.nodes or n in block.nodes]
        index = holder.blocks.index(block_id)
        holder.blocks[index : index + 1] = block.blocks
    return [*block.nodes, *block.blocks]


def remove_block(graph: Graph, block_id: str) -> None:
    """Delete a block with every node and block inside it (and their edges); enclosing blocks left empty go too."""
    if block_id not in graph.blocks:
        raise GraphError(f"no block with id {block_id!r}")
    doomed = [block_id]
    index = 0
    while index < len(doomed):
        doomed.extend(graph.blocks[doomed[index]].blocks)
        index += 1
    parent = parents(graph).get(block_id)
    for node_id in nodes_in(graph, block_id):
        graph.remove_node(node_id)  # may already drop blocks it empties
    for gone in doomed:
        graph.blocks.pop(gone, None)
    if parent in graph.blocks and block_id in graph.blocks[parent].blocks:
        graph.blocks[parent].blocks.remove(block_id)
        graph.prune_block(parent)


def structure_problems(graph: Graph) -> list[str]:
    """What makes the blocks of a graph inconsistent, one line each (empty when they are sound)."""
    problems: list[str] = []
    holder: dict[str, str] = {}
    for block in graph.blocks.values():
        if problem := node_id_problem(block.id):
            problems.append(f"block {block.id!r}: {problem.replace('node id', 'block id')}")
        if block.id in graph.nodes:
            problems.append(f"block {block.id!r}: a node has the same id (blocks and nodes share one namespace)")
        for node_id in block.nodes:
            if node_id not in graph.nodes:
                problems.append(f"block {block.id!r} holds a node {node_id!r} that does not exist")
        for child in block.blocks:
            if child not in graph.blocks:
                problems.append(f"block {block.id!r} holds a block {child!r} that does not exist")
        for member in (*block.nodes, *block.blocks):
            if member in holder:
                problems.append(f"{member!r} is in two blocks, {holder[member]!r} and {block.id!r}")
            holder[member] = block.id
    for block_id in graph.blocks:
        seen, current = set(), block_id
        while current in holder and current not in seen:
            seen.add(current)
            current = holder[current]
        if current in seen:
            problems.append(f"block {block_id!r} is nested inside itself")
            break
    return problems
