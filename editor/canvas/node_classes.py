"""Canvas node classes generated from the engine registry: one class per node type, no
hand-written class anywhere. A NodeGraphQt type is `netwright.<category>.<ClassName>`."""

from __future__ import annotations

from NodeGraphQt import BaseNode

from editor import theme
from editor.canvas.node_item import NetwrightNodeItem, paint_port
from engine.registry import NodeType, Registry

PREFIX = "netwright."
UNKNOWN_IDENTIFIER = "netwright.unknown.UnknownNode"
DRAG_PREFIX = "netwright-node:"  # text/plain payload of a palette drag


def canvas_type(node_type: NodeType) -> str:
    """The NodeGraphQt type string of an engine node type."""
    return f"{PREFIX}{node_type.category}.{node_type.class_name}"


def make_node_class(node_type: NodeType) -> type[BaseNode]:
    color = theme.category_color(node_type.category)

    def __init__(self):
        BaseNode.__init__(self, qgraphics_item=NetwrightNodeItem)
        self.view.accent = color
        self.view.category = node_type.category
        for port in node_type.inputs:
            self.add_input(port.name, multi_input=port.multiple, color=color, painter_func=paint_port)
        for port in node_type.outputs:
            self.add_output(port.name, multi_output=True, color=color, painter_func=paint_port)

    return type(
        node_type.class_name,
        (BaseNode,),
        {
            "__identifier__": f"{PREFIX}{node_type.category}",
            "NODE_NAME": node_type.title,
            "__init__": __init__,
            "engine_type_id": node_type.type_id,
        },
    )


class UnknownNode(BaseNode):
    """Stands in for a node type this version does not know (e.g. from a newer file)."""

    __identifier__ = "netwright.unknown"
    NODE_NAME = "Unknown"
    engine_type_id = ""

    def __init__(self):
        BaseNode.__init__(self, qgraphics_item=NetwrightNodeItem)


def node_classes(registry: Registry) -> list[type[BaseNode]]:
    return [make_node_class(t) for t in registry] + [UnknownNode]
