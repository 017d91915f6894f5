"""Collapsed blocks on the canvas: one node whose ports are the edges that cross the block's boundary.

A block whose `collapsed` flag is set is drawn as one card (title, id, parameter count, problems,
the shapes on its crossing edges), unless it is the block opened for editing or holds it: opening
a collapsed block (double-click, or a breadcrumb) draws its nodes until it is left again. Which
item draws each node is decided here from the engine graph alone (`drawn_as`); the canvas then
draws those items and the edges between them (`drawn_edges`). Collapse and Expand are document
edits of the block's flag, so they are undone, redone and saved with the graph like any edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from NodeGraphQt import BaseNode
from PySide6 import QtCore, QtGui

from editor import theme
from editor.canvas.node_item import NetwrightNodeItem, paint_port
from engine.analysis import Analysis
from engine.analysis.block_status import block_status
from engine.graph import Edge, Graph, GraphError
from engine.graph.grouping import block_path, block_ports, nodes_in, parents, remove_block
from engine.graph.layout import set_position, usable_position

if TYPE_CHECKING:
    from editor.canvas.canvas import Canvas

BLOCK_IDENTIFIER = "netwright.block.CollapsedBlockNode"
BLOCK_ACCENT = (150, 130, 230)  # a block's header: not any node category's colour
STACK_OFFSET = 5.0  # the card drawn behind a block's own, so it reads as "several nodes in one"


class CollapsedBlockItem(NetwrightNodeItem):
    """A collapsed block's card: a node card with a second card showing behind it; double-click opens it."""

    def __init__(self, name: str = "block", parent=None):
        super().__init__(name, parent)
        self.on_open: Callable[[str], None] | None = None

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name; the stacked card is drawn too
        return super().boundingRect().adjusted(0, 0, STACK_OFFSET, STACK_OFFSET)

    def _paint_horizontal(self, painter, option, widget):
        painter.save()
        painter.setPen(QtGui.QPen(theme.qcolor(theme.NODE_BORDER), 1.0))
        painter.setBrush(QtGui.QColor(theme.qcolor(BLOCK_ACCENT)).darker(300))
        painter.drawRoundedRect(
            QtCore.QRectF(1 + STACK_OFFSET, 1 + STACK_OFFSET, self._width - 2, self._height - 2), 8, 8
        )
        painter.restore()
        super()._paint_horizontal(painter, option, widget)

    def mouseDoubleClickEvent(self, event):
        if self.on_open is not None and event.button() == QtCore.Qt.MouseButton.LeftButton:
            # after this event: opening deletes this card, and a scene whose mouse grabber was deleted
            # inside its own handler ignored the next double-click (a block nested in an opened one)
            QtCore.QTimer.singleShot(0, lambda open_=self.on_open, name=self.name: open_(name))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)


class CollapsedBlockNode(BaseNode):
    """The NodeGraphQt node of a collapsed block; its ports are added from the block's crossing edges."""

    __identifier__ = "netwright.block"
    NODE_NAME = "Block"
    engine_type_id = ""

    def __init__(self):
        BaseNode.__init__(self, qgraphics_item=CollapsedBlockItem)
        self.view.accent = BLOCK_ACCENT
        self.view.category = "block"


# -- what is drawn -------------------------------------------------------------------------------------


def drawn_as(graph: Graph, opened: str | None) -> dict[str, str]:
    """Each node id -> the id of the item that draws it: itself, or the outermost collapsed block holding it
    (the opened block and the blocks around it are drawn open whatever their flag says)."""
    if not any(block.collapsed for block in graph.blocks.values()):
        return {n: n for n in graph.nodes}
    owner = parents(graph)
    kept_open = {opened, *block_path(graph, opened, owner)} if opened in graph.blocks else set()
    drawn = {}
    for node_id in graph.nodes:
        path = block_path(graph, node_id, owner) if node_id in owner else ()
        drawn[node_id] = next((b for b in path if graph.blocks[b].collapsed and b not in kept_open), node_id)
    return drawn


def drawn_edges(graph: Graph, drawn: dict[str, str]) -> list[Edge]:
    """The edges between drawn items, in the graph's order; an end inside a collapsed block is that
    block's port (`conv1.in`)."""
    edges: dict[Edge, None] = {}
    for edge in graph.edges:
        src, dst = drawn.get(edge.src, edge.src), drawn.get(edge.dst, edge.dst)
        if src == dst and src != edge.src:
            continue  # both ends inside one collapsed block
        src_port = edge.src_port if src == edge.src else f"{edge.src}.{edge.src_port}"
        dst_port = edge.dst_port if dst == edge.dst else f"{edge.dst}.{edge.dst_port}"
        edges[Edge(src, src_port, dst, dst_port)] = None
    return list(edges)


def graph_end(graph: Graph, item: str, port: str) -> tuple[str, str]:
    """The node and port behind an end drawn at (`item`, `port`): a block's port `conv1.in` is conv1's `in`."""
    if item in graph.blocks and item not in graph.nodes:
        node_id, _, inner = port.partition(".")
        if node_id not in nodes_in(graph, item) or not inner:
            raise GraphError(f"block `{item}` has no port {port!r}")
        return node_id, inner
    return item, port


def block_position(graph: Graph, block_id: str) -> tuple[float, float]:
    """Where a collapsed block is drawn: at the top left of its nodes, so expanding it puts them back around it."""
    places = [p for n in nodes_in(graph, block_id) if (p := usable_position(graph.nodes[n].ui)) is not None]
    if not places:
        return 0.0, 0.0
    return min(x for x, _ in places), min(y for _, y in places)


class BlockNodes:
    """The canvas nodes of the collapsed blocks drawn now, by block id, kept in step with the graph."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.nodes: dict[str, BaseNode] = {}
        self._ports: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # block id -> port names drawn

    def sync(self, graph: Graph, drawn: dict[str, str]) -> bool:
        """Create, update and remove block nodes; True when a node was created or removed (edges need a redraw)."""
        shown = {item for item in drawn.values() if item in graph.blocks}
        changed = False
        for block_id in [b for b in self.nodes if b not in shown]:
            self._remove(block_id)
            changed = True
        for block_id in sorted(shown):
            ports = block_ports(graph, block_id)
            names = (tuple(p.name for p in ports.inputs), tuple(p.name for p in ports.outputs))
            if block_id in self.nodes and self._ports[block_id] != names:
                self._remove(block_id)  # NodeGraphQt has no way to drop a port: draw the block afresh
            if block_id not in self.nodes:
                self.nodes[block_id] = self._create(block_id, *names)
                self._ports[block_id] = names
                changed = True
            canvas_node = self.nodes[block_id]
            block = graph.blocks[block_id]
            count = len(nodes_in(graph, block_id))
            canvas_node.view.set_texts(block.title or block_id, f"{block_id} · block of {count} nodes", "")
            position = block_position(graph, block_id)
            if tuple(canvas_node.pos()) != position:
                canvas_node.set_property("pos", list(position), push_undo=False)
        return changed

    def _create(self, block_id: str, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> BaseNode:
        canvas_node = self.canvas.node_graph.create_node(
            BLOCK_IDENTIFIER, name=block_id, selected=False, push_undo=False, text_color=(*theme.TEXT_DIM, 255)
        )
        for name in inputs:  # a member port may take several edges (concat): the engine decides what is allowed
            canvas_node.add_input(name, multi_input=True, color=BLOCK_ACCENT, painter_func=paint_port)
        for name in outputs:
            canvas_node.add_output(name, multi_output=True, color=BLOCK_ACCENT, painter_func=paint_port)
        canvas_node.view.on_open = self.canvas.frames.open
        canvas_node.view.draw_node()
        return canvas_node

    def _remove(self, block_id: str) -> None:
        self.canvas.node_graph.delete_node(self.nodes.pop(block_id), push_undo=False)
        self._ports.pop(block_id, None)

    def show_status(self, graph: Graph, analysis: Analysis, counts: dict[str, int]) -> None:
        """As on any node: problems on the border and badge, the parameter count in the footer."""
        for block_id, canvas_node in self.nodes.items():
            if block_id not in graph.blocks:
                continue
            status = block_status(graph, analysis, block_id)
            severities = {p.severity for p in status.problems}
            severity = next((s for s in ("error", "warning", "info") if s in severities), None)
            canvas_node.view.set_problem(severity, "")
            parameters = sum(counts.get(n, 0) for n in nodes_in(graph, block_id))
            parts = [f"{parameters:,} parameters"] if parameters else []
            if status.problems:
                parts.append(f"{len(status.problems)} problem{'s' if len(status.problems) > 1 else ''}")
            view = canvas_node.view
            view.set_texts(view.title, view.subtitle, " · ".join(parts))

    def hover_text(self, graph: Graph, analysis: Analysis, counts: dict[str, int], block_id: str) -> str:
        status = block_status(graph, analysis, block_id)
        block = graph.blocks[block_id]
        lines = [f"<b>{block.title or block_id}</b> (block <code>{block_id}</code>, collapsed)"]
        parameters = sum(counts.get(n, 0) for n in nodes_in(graph, block_id))
        lines.append(f"{len(nodes_in(graph, block_id))} nodes, {parameters:,} parameters")
        lines += [f"in <code>{name}</code>: {spec or '?'}" for name, spec in status.inputs.items()]
        lines += [f"out <code>{name}</code>: {spec or '?'}" for name, spec in status.outputs.items()]
        lines += [f"{p.severity}: {p.message}" for p in status.problems[:5]]
        lines.append("Double-click to open it; Expand Block (Ctrl+Shift+E) draws its nodes again")
        return "<br>".join(lines)


# -- edits ----------------------------------------------------------------------------------------------


def collapse_selection(canvas: Canvas) -> list[str]:
    """Collapse the innermost open block of each selected node into one node (one undo step)."""
    graph = canvas.document.graph
    owner = parents(graph)
    blocks = []
    for node_id in canvas.selected_ids():
        path = block_path(graph, node_id, owner)
        open_ones = [b for b in path if not graph.blocks[b].collapsed]
        if open_ones:
            blocks.append(open_ones[-1])
    blocks = list(dict.fromkeys(blocks))
    if not blocks:
        canvas.message.emit("Select a node inside an open block to collapse it")
        return []
    if canvas.frames.opened in blocks or canvas.frames.opened in {b for x in blocks for b in _inside_blocks(graph, x)}:
        canvas.frames.opened = None  # the block opened for editing folds away: back to the graph
    if not _set_collapsed(canvas, blocks, True):
        return []
    canvas.select_blocks(blocks)
    return blocks


def expand_selection(canvas: Canvas) -> list[str]:
    """Draw the nodes of the selected collapsed blocks again (one undo step); they come back selected."""
    blocks = canvas.selected_blocks()
    if not blocks:
        canvas.message.emit("Select a collapsed block to expand it")
        return []
    if not _set_collapsed(canvas, blocks, False):
        return []
    graph = canvas.document.graph
    canvas.select([n for b in blocks if b in graph.blocks for n in nodes_in(graph, b)])
    return blocks


def _inside_blocks(graph: Graph, block_id: str) -> list[str]:
    found, todo = [], [block_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(graph.blocks[current].blocks if current in graph.blocks else ())
    return found


def _set_collapsed(canvas: Canvas, blocks: list[str], collapsed: bool) -> bool:
    label = ("Collapse" if collapsed else "Expand") + (" Blocks" if len(blocks) > 1 else " Block")

    def flip(graph: Graph) -> None:
        for block_id in blocks:
            graph.blocks[block_id].collapsed = collapsed

    try:
        return canvas.document.edit(label, flip)
    except GraphError as exc:
        canvas.message.emit(str(exc))
        return False


def move_block(graph: Graph, block_id: str, x: float, y: float) -> None:
    """A collapsed block dragged to (x, y): its nodes move with it, so expanding it shows them there."""
    old_x, old_y = block_position(graph, block_id)
    dx, dy = x - old_x, y - old_y
    for node_id in nodes_in(graph, block_id):
        place = usable_position(graph.nodes[node_id].ui)
        if place is not None:
            set_position(graph, node_id, place[0] + dx, place[1] + dy)


def delete_with_blocks(graph: Graph, node_ids: list[str], block_ids: list[str]) -> None:
    """Delete nodes and collapsed blocks (each with everything inside it)."""
    for block_id in block_ids:
        if block_id in graph.blocks:
            remove_block(graph, block_id)
    for node_id in node_ids:
        if node_id in graph.nodes:
            graph.remove_node(node_id)
