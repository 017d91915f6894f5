"""Which layers each optimizer updates: its `scope`, or every layer with weights upstream of its
losses without walking past a Detach node. Shared by validation and the trainer."""

from __future__ import annotations

from engine.graph.model import Graph
from engine.registry import catalog

DETACH = "merge.Detach"


def optimizer_scope(graph: Graph, optimizer_id: str, order: list[str]) -> list[str]:
    """The nodes with weights that `optimizer_id` updates, in `order` (a topological order).

    One pass over the edges and one walk upstream: validation calls this for every optimizer
    on every edit, so it must stay linear in the graph's size.
    """
    registry = catalog()
    explicit = graph.nodes[optimizer_id].params.get("scope") or []
    if explicit:
        wanted = set(explicit)
    else:
        detaches = [n for n, node in graph.nodes.items() if node.type_id == DETACH]
        wanted = graph.ancestors(graph.predecessors(optimizer_id), stop_at=detaches)
    return [
        n
        for n in order
        if n in wanted and graph.nodes[n].type_id in registry and registry.get(graph.nodes[n].type_id).has_weights
    ]
