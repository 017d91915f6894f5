"""Names the compiled module uses that need no torch: the training plan reads them too."""

from __future__ import annotations

from engine.graph.model import Graph
from engine.registry import catalog


def input_name(graph: Graph, node_id: str, port: str) -> str:
    """The forward() argument for a data port: `data_x`, or the node id for one-output sources."""
    node_type = catalog().get(graph.nodes[node_id].type_id)
    return node_id if len(node_type.outputs) == 1 else f"{node_id}_{port}"
