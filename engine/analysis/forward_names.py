"""The names the compiled forward() gives to values (torch-free: validation checks them).

Each node's result is a variable named after the node id. A data source with several outputs
(the Dataset's `x` and `y`) gives one forward() argument per port, and a computing node with
several outputs one variable per port, both named `{node id}_{port}`. No node id may be one of
those names, or two values would share a variable.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.graph.model import Graph
from engine.registry import NodeType, catalog


def port_value_name(graph: Graph, node_id: str, port: str) -> str:
    """forward()'s name for what `port` of `node_id` gives: the node id, or `{id}_{port}` for a node with several outputs."""
    node_type = catalog().get(graph.nodes[node_id].type_id)
    return node_id if len(node_type.outputs) == 1 else f"{node_id}_{port}"


def per_port_names(types: Mapping[str, NodeType]) -> dict[str, list[tuple[str, str]]]:
    """Every `{node id}_{port}` name forward() uses -> the (node id, port) pairs it would name."""
    names: dict[str, list[tuple[str, str]]] = {}
    for node_id, node_type in types.items():
        if len(node_type.outputs) > 1:
            for port in node_type.outputs:
                names.setdefault(f"{node_id}_{port.name}", []).append((node_id, port.name))
    return names
