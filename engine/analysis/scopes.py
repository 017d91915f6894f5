"""Which layers each optimizer updates: its `scope`, or every layer with weights upstream of its
losses without walking past a Detach node. Shared by validation and the trainer."""

from __future__ import annotations

from engine.graph.model import Graph
from engine.registry import catalog

DETACH = "merge.Detach"


def optimizer_scope(graph: Graph, optimizer_id: str, order: list[str]) -> list[str]:
    """The nodes with weights that `optimizer_id` updates, in `order` (a topological order)."""
    registry = catalog()
    types = {n: registry.get(node.type_id) for n, node in graph.nodes.items() if node.type_id in registry}
    explicit = graph.nodes[optimizer_id].params.get("scope") or []
    if explicit:
        wanted = set(explicit)
    else:
        detaches = [n for n, t in types.items() if t.type_id == DETACH]
        wanted = graph.ancestors(graph.predecessors(optimizer_id), stop_at=detaches)
    return [n for n in order if n in wanted and n in types and types[n].has_weights]
