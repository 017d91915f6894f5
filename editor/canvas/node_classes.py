"""Canvas node classes generated from the engine registry: one class per node type, no
hand-written class anywhere. A NodeGraphQt type is `netwright.<category>.<ClassName>`."""

from __future__ import annotations

from NodeGraphQt import BaseNode, NodeGraph

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


# what `add_canvas_node` leaves out of NodeGraphQt's `NodeItem.from_dict`: the position (set once, by the
# viewer), the name (set on its own) and the size (drawn)
_NOT_COPIED = frozenset({"pos", "name", "width", "height"})


def add_canvas_node(
    graph: NodeGraph, identifier: str, name: str, pos: tuple[float, float], text_color: tuple[int, ...], texts=None
) -> BaseNode:
    """NodeGraphQt's `create_node(identifier, name=name, pos=pos, selected=False, push_undo=False)`, without
    what opening a 500-node graph paid for and the canvas never uses: the undo command, the `node_created`
    signal, the scan of the selection, a second position round trip and the name label's text; the card is
    drawn once, with its texts (`texts`: title, subtitle, footer) already set. Half of opening that graph was
    `create_node`. A node type with port constraints (none of ours has one) goes through `create_node`."""
    node = graph._node_factory.create_node_instance(identifier)
    model = node.model.__dict__
    widget_types = model.pop("_TEMP_property_widget_types")
    attrs = model.pop("_TEMP_property_attrs")
    constraints = [
        model.pop(key).get(node.type_) for key in ("_TEMP_accept_connection_types", "_TEMP_reject_connection_types")
    ]
    if any(constraints):
        return graph.create_node(identifier, name=name, selected=False, text_color=text_color, pos=pos, push_undo=False)
    node._graph = graph
    node.model._graph_model = graph.model
    if graph.model.get_node_common_properties(node.type_) is None:  # once per type
        common = {name_: {"widget_type": kind} for name_, kind in widget_types.items()}
        for prop, prop_attrs in attrs.items():
            common[prop].update(prop_attrs)
        graph.model.set_node_common_properties({node.type_: common})
    node.NODE_NAME = name
    node.model.name = name
    node.model.selected = False
    node.model.text_color = text_color
    node.model.pos = [float(pos[0]), float(pos[1])]
    node.model.layout_direction = graph.layout_direction()
    view = node.view
    settings = node.model.to_dict[node.model.id]
    view.from_dict({key: value for key, value in settings.items() if key not in _NOT_COPIED})
    view.name = name
    if texts is not None:
        view.title, view.subtitle, view.footer = texts
    graph.model.nodes[node.id] = node
    view.setPos(*node.model.pos)  # placed before it is in the scene: no move to index there
    graph.viewer().add_node(view, node.model.pos)  # draws the card once
    node.model.width, node.model.height = view.width, view.height
    return node
