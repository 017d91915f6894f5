"""Names the compiled module uses that need no torch: the training plan reads them too."""

from __future__ import annotations

from engine.analysis.forward_names import port_value_name
from engine.graph.model import Graph


def input_name(graph: Graph, node_id: str, port: str) -> str:
    """The forward() argument for a data port: `data_x`, or the node id for one-output sources.

    Validation names values by the same rule (`port_value_name`), so it can refuse ids that clash.
    """
    return port_value_name(graph, node_id, port)
