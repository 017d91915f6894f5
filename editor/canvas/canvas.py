"""The canvas: a NodeGraphQt graph kept in step with the engine graph.

The engine graph is the truth. `sync` brings the canvas to it incrementally (nodes added,
removed, moved, relabelled; edges added and removed) without touching NodeGraphQt's undo
stack. User gestures on the canvas (connect, disconnect, move, drop) are turned into
document edits instead of being applied by NodeGraphQt, so every one is undoable and the
canvas only ever shows what the engine graph holds.
"""

from __future__ import annotations

import json

from NodeGraphQt import NodeGraph
from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore, QtGui, QtWidgets

from editor import graph_ops, theme
from editor.canvas import tooltips
from editor.canvas.blocks import BlockFrames
from editor.canvas.collapsed import (
    BlockNodes,
    CollapsedBlockNode,
    delete_with_blocks,
    drawn_as,
    drawn_edges,
    graph_end,
    move_block,
)
from editor.canvas.node_classes import DRAG_PREFIX, UNKNOWN_IDENTIFIER, add_canvas_node, canvas_type, node_classes
from editor.canvas.node_item import NetwrightNodeItem
from editor.canvas.pipes import CanvasViewer, ShapePipeItem
from editor.canvas.quick_add import QuickAdd
from editor.document import GraphDocument
from engine.analysis import Analysis
from engine.graph import Edge, Graph, GraphError, Node
from engine.graph.layout import ROUTES_KEY, drawn_route, usable_position
from engine.registry import ParamError, catalog


def node_footer(node_type, params: dict) -> str:
    """A one-line reminder of the main setting, e.g. `out_features 128` or `lr 0.001`."""
    parts = []
    for param in node_type.params:
        if param.advanced or param.kind in ("path", "node_ids", "bool"):
            continue
        value = params.get(param.name, param.default)
        if value in ("", None, []):
            continue
        try:
            param.check(value)
        except ParamError:  # a value of the wrong kind, kept as written (the analysis reports it): show it so
            text = f"{param.name} {json.dumps(value, ensure_ascii=False, default=str)}"
        else:
            if param.kind == "ints":
                text = f"{param.name} {'x'.join(str(v) for v in value)}"
            elif param.kind == "float":
                text = f"{param.name} {value:g}"
            else:
                text = f"{param.name} {value}"
        parts.append(text)
        break
    return " · ".join(parts)


SPARE_ROW = 160.0  # vertical step between nodes drawn apart because their position is unusable


class Canvas(QtCore.QObject):
    selection_changed = QtCore.Signal(list)  # engine node ids
    message = QtCore.Signal(str)  # a refusal or hint for the status bar

    def __init__(self, document: GraphDocument, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.registry = catalog()
        self.viewer = CanvasViewer()
        self.node_graph = NodeGraph(viewer=self.viewer)
        self.node_graph.set_background_color(*theme.CANVAS_BG)
        self.node_graph.set_grid_color(*theme.CANVAS_GRID)
        self.node_graph.set_pipe_slicing(True)
        self.node_graph.set_acyclic(True)
        for cls in node_classes(self.registry):
            self.node_graph.register_node(cls)
        self.node_graph.register_node(CollapsedBlockNode)
        self._nodes: dict[str, object] = {}  # engine id -> NodeGraphQt node
        # NodeGraphQt makes every new name unique by listing all node names (quadratic on open);
        # ours are engine ids, already unique, and every canvas node is in `_nodes`.
        theirs = self.node_graph.get_unique_name
        self.node_graph.get_unique_name = lambda name: name if name not in self._items() else theirs(name)
        self._syncing = False
        self._drawn: dict[str, Node] = {}  # engine id -> the engine node its canvas node was last drawn from
        self._edges_drawn: set[Edge] | None = None  # the edges the canvas last drew; None: draw them all again
        self._routes_drawn: dict[str, object] = {}  # node id -> the `ui.routes` its incoming edges were drawn with
        self.viewer.routes_of = self._route_of
        self.viewer.creates_cycle = self._creates_cycle  # NodeGraphQt's own cycle check is exponential
        self._spare_spot: tuple[float, float] | None = None  # where the next node without a usable position goes
        self._analysis_shown: Analysis | None = None  # for hover texts
        self._counts: dict[str, int] = {}
        self.frames = BlockFrames(self)  # blocks drawn as titled frames behind their nodes
        self.block_nodes = BlockNodes(self)  # collapsed blocks, each drawn as one node
        self._rewire()
        self.quick_add = QuickAdd(self.registry, self.viewer)
        self.quick_add.chosen.connect(lambda type_id, pos: self.add_node(type_id, pos))
        self.viewer.tab_pressed.connect(self.open_quick_add)
        self.viewer.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.viewer.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        document.changed.connect(self.sync)
        self.viewer.scene().installEventFilter(self)  # hover texts are written when asked for

    @property
    def widget(self) -> QtWidgets.QWidget:
        """The view to put in a layout (NodeGraphQt's own tabbed wrapper is not used)."""
        return self.viewer

    def open_quick_add(self) -> None:
        """Tab: a search box at the cursor; the chosen node is added where the cursor was."""
        scene_pos = self.scene_cursor_pos()
        self.quick_add.open_at(self.viewer.mapFromScene(scene_pos), scene_pos)

    # -- wiring ---------------------------------------------------------------------------------
    def _rewire(self) -> None:
        """Take the viewer's gestures away from NodeGraphQt's own handlers (which would edit
        its model and undo stack) and send them to ours."""
        viewer, graph = self.viewer, self.node_graph
        for signal, theirs, ours in (
            (viewer.connection_changed, graph._on_connection_changed, self._on_connection_changed),
            (viewer.connection_sliced, graph._on_connection_sliced, self._on_connection_sliced),
            (viewer.moved_nodes, graph._on_nodes_moved, self._on_nodes_moved),
            (viewer.insert_node, graph._on_insert_node, None),
            (viewer.search_triggered, graph._on_search_triggered, None),
            (viewer.data_dropped, graph._on_node_data_dropped, self._on_data_dropped),
            (viewer.node_name_changed, graph._on_node_name_changed, None),
        ):
            signal.disconnect(theirs)
            if ours is not None:
                signal.connect(ours)
        viewer.node_selection_changed.connect(self._emit_selection)
        viewer.node_selected.connect(self._emit_selection)
        # the context menus of NodeGraphQt would edit behind our back
        self.node_graph.disable_context_menu(True)

    # -- engine -> canvas ---------------------------------------------------------------------
    def sync(self) -> None:
        graph = self.document.graph
        self._syncing = True
        try:
            drawn = drawn_as(graph, self.frames.opened)  # nodes inside a collapsed block are drawn as that block
            for node_id in [
                n for n in self._nodes if drawn.get(n) != n or self._type_of(self._nodes[n]) != graph.nodes[n].type_id
            ]:
                self.node_graph.delete_node(self._nodes.pop(node_id), push_undo=False)
                self._drawn.pop(node_id, None)
                self._edges_drawn = None
            notes: dict[str, list[str]] = {}
            self._spare_spot = None
            for node in graph.nodes.values():
                if drawn[node.id] != node.id:
                    continue
                try:
                    if node.id not in self._nodes:
                        self._nodes[node.id] = self._create(node)
                        self._edges_drawn = None
                    elif self._drawn_as(node):  # most nodes of an edit: nothing to redo
                        notes[node.id] = []
                        continue
                    notes[node.id] = self._update_node(node.id)
                    self._drawn[node.id] = node  # noted nodes are redrawn every time (their spare spot moves)
                    if notes[node.id]:
                        del self._drawn[node.id]
                except Exception as exc:  # noqa: BLE001 - one node's odd value must never leave the rest undrawn
                    notes[node.id] = [f"could not be drawn in full ({type(exc).__name__}: {exc})"]
                    self._drawn.pop(node.id, None)
            if self.block_nodes.sync(graph, drawn):
                self._edges_drawn = None
            edges = drawn_edges(graph, drawn) if graph.blocks else graph.edges
            if self._edges_drawn != set(edges):
                self._sync_edges(edges)
                self._edges_drawn = set(edges)
            self._redraw_rerouted(graph)
            for node_id, canvas_node in self._nodes.items():
                canvas_node.view.set_notes(notes.get(node_id, []))
            self.frames.sync(graph)
        finally:
            self._syncing = False

    def _drawn_as(self, node: Node) -> bool:
        """Drawn from an equal node and still where the graph puts it (a refused drag must move it back)."""
        return self._drawn.get(node.id) == node and tuple(self._nodes[node.id].pos()) == usable_position(node.ui)

    def _type_of(self, canvas_node) -> str:
        return getattr(canvas_node, "engine_type_id", "") or canvas_node.get_property("engine_type") or ""

    def _create(self, node: Node):
        """A canvas node drawn once, at the node's position and with its texts (see `add_canvas_node`)."""
        type_id = node.type_id
        identifier = canvas_type(self.registry.get(type_id)) if type_id in self.registry else UNKNOWN_IDENTIFIER
        try:
            title, footer, _ = self._texts(node)
        except Exception:  # noqa: BLE001 - drawn plain; sync's _update_node then notes what failed
            title, footer = node.type_id, ""
        canvas_node = add_canvas_node(
            self.node_graph,
            identifier,
            node.id,
            usable_position(node.ui) or (0.0, 0.0),
            (*theme.TEXT_DIM, 255),
            (title, node.id, footer),
        )
        if identifier == UNKNOWN_IDENTIFIER:
            canvas_node.create_property("engine_type", type_id)
        return canvas_node

    def _texts(self, node: Node) -> tuple[str, str, bool]:
        """Title, footer and whether the node is drawn frozen."""
        if node.type_id in self.registry:
            node_type = self.registry.get(node.type_id)
            frozen = node_type.has_weights and node.params.get("trainable", True) is False
            return node_type.title, node_footer(node_type, node.params), frozen
        return "Unknown node", node.type_id, False

    def _update_node(self, node_id: str) -> list[str]:
        """Bring one canvas node to the engine node; returns what could not be drawn as written."""
        node = self.document.graph.nodes[node_id]
        canvas_node = self._nodes[node_id]
        title, footer, frozen = self._texts(node)
        canvas_node.view.set_texts(title, node_id, footer)
        canvas_node.view.set_frozen(frozen)
        notes = []
        position = usable_position(node.ui)
        if position is None:  # kept as written in the graph; drawn apart until the user moves it
            position = self._next_spare_spot()
            written = json.dumps({k: node.ui.get(k) for k in ("x", "y")}, ensure_ascii=False, default=str)
            notes.append(
                f"its position in the file, {written}, is not two numbers: drawn at ({position[0]:g}, "
                f"{position[1]:g}) below the others; move it to store a position"
            )
        if tuple(canvas_node.pos()) != position:
            canvas_node.set_property("pos", list(position), push_undo=False)
        return notes

    def _next_spare_spot(self) -> tuple[float, float]:
        """Below every node with a usable position, one row per node that has none."""
        if self._spare_spot is None:
            placed = [p for n in self.document.graph.nodes.values() if (p := usable_position(n.ui))]
            left = min((x for x, _ in placed), default=0.0)
            bottom = max((y for _, y in placed), default=-SPARE_ROW) + SPARE_ROW
            self._spare_spot = (left, bottom)
        x, y = self._spare_spot
        self._spare_spot = (x, y + SPARE_ROW)
        return x, y

    def _items(self) -> dict[str, object]:
        """Every canvas node by the id it draws: engine nodes and collapsed blocks (they share one namespace)."""
        blocks = self.block_nodes.nodes if hasattr(self, "block_nodes") else {}
        return {**self._nodes, **blocks} if blocks else self._nodes

    def _canvas_edges(self) -> dict[Edge, tuple]:
        edges = {}
        for node_id, canvas_node in self._items().items():
            for port in canvas_node.output_ports():
                for other in port.connected_ports():
                    edges[Edge(node_id, port.name(), other.node().name(), other.name())] = (port, other)
        return edges

    def _sync_edges(self, edges: list[Edge]) -> None:
        """Draw exactly `edges`: edges between drawn items (see `collapsed.drawn_edges`), in the graph's order.

        The cycle check is off meanwhile: the engine refused cycles already, and even the canvas's linear
        check (`_creates_cycle`) would make drawing E edges cost E walks."""
        wanted = set(edges)
        acyclic = self.node_graph.acyclic()
        self.node_graph.set_acyclic(False)
        try:
            self._connect(edges, wanted)
        finally:
            self.node_graph.set_acyclic(acyclic)
        self._sync_pipes()

    def _connect(self, edges: list[Edge], wanted: set[Edge]) -> None:
        present = self._canvas_edges()
        items = self._items()
        for edge, (out_port, in_port) in present.items():
            if edge not in wanted:
                out_port.disconnect_from(in_port, push_undo=False, emit_signal=False)
        for edge in edges:
            if edge in present:
                continue
            src, dst = items.get(edge.src), items.get(edge.dst)
            out_port = src.outputs().get(edge.src_port) if src else None
            in_port = dst.inputs().get(edge.dst_port) if dst else None
            if out_port is not None and in_port is not None:
                out_port.connect_to(in_port, push_undo=False, emit_signal=False)

    def _sync_pipes(self) -> None:
        """Make the drawn pipes match NodeGraphQt's model: the viewer deletes and restores
        pipe items itself during a drag, before it tells anyone."""
        for canvas_node in self._items().values():
            for port in canvas_node.output_ports():
                drawn = {pipe.input_port: pipe for pipe in port.view.connected_pipes}
                wanted = {other.view for other in port.connected_ports()}
                for in_view, pipe in drawn.items():
                    if in_view not in wanted:
                        pipe.delete()
                for in_view in wanted - set(drawn):
                    self.viewer.establish_connection(port.view, in_view)

    def show_health(self, badges: dict[str, tuple[str, tuple[int, int, int]]]) -> None:
        """Training badges per node id (gradient norm, dead ReLUs); nodes not named get none."""
        for node_id, canvas_node in self._nodes.items():
            canvas_node.view.set_health(badges.get(node_id))

    # -- analysis -> canvas -----------------------------------------------------------------------
    def show_analysis(self, analysis: Analysis) -> None:
        by_node: dict[str, list] = {}
        for problem in analysis.problems:
            if problem.node_id:
                by_node.setdefault(problem.node_id, []).append(problem)
        rank = {"error": 0, "warning": 1, "info": 2}
        for node_id, canvas_node in self._nodes.items():
            problems = sorted(by_node.get(node_id, []), key=lambda p: rank[p.severity])
            severity = problems[0].severity if problems else None
            canvas_node.view.set_problem(severity, "")
        self._analysis_shown = analysis
        self.show_tooltips()
        self.show_shapes()

    def show_last_analysis(self) -> None:
        """Show the last analysis again on what is drawn now: opening or leaving a collapsed block draws new
        nodes and edges without an edit, so no new analysis comes for them."""
        if self._analysis_shown is not None:
            self.show_analysis(self._analysis_shown)

    def show_shapes(self) -> None:
        """Write the last analysis's shapes on the edges drawn now."""
        analysis = self._analysis_shown
        if analysis is None:
            return
        bad_inputs = {(p.node_id) for p in analysis.problems if p.severity == "error"}
        graph = self.document.graph
        blocks = self.block_nodes.nodes
        for pipe in self.viewer.all_pipes():
            if not isinstance(pipe, ShapePipeItem) or not (pipe.output_port and pipe.input_port):
                continue
            out_end = (pipe.output_port.node.name, pipe.output_port.name)
            in_end = (pipe.input_port.node.name, pipe.input_port.name)
            if blocks and (out_end[0] in blocks or in_end[0] in blocks):  # an end on a collapsed block's port
                try:
                    out_end, in_end = graph_end(graph, *out_end), graph_end(graph, *in_end)
                except GraphError:
                    continue
            spec = analysis.specs.get(out_end)
            text = str(spec) if spec is not None else ""
            pipe.set_shape_text(text, error=bool(text) and in_end[0] in bad_inputs)

    def show_tooltips(self, counts: dict[str, int] | None = None) -> None:
        """Take parameter counts (once known) for the hover texts; those are written when hovered (`hover_text`)."""
        if counts is not None:
            self._counts = counts
        analysis, graph = self._analysis_shown, self.document.graph
        if analysis is None:
            return
        self.frames.show_status(graph, analysis, self._counts)
        self.block_nodes.show_status(graph, analysis, self._counts)

    def hover_text(self, item: QtWidgets.QGraphicsItem) -> str | None:
        """Write and return the hover text of the node or port `item` belongs to; None for other items.

        Written on hover, not after every analysis: 500 nodes with 1,100 ports took ~70 ms an edit.
        """
        while item is not None and not isinstance(item, (NetwrightNodeItem, PortItem)):
            item = item.parentItem()
        analysis, graph = self._analysis_shown, self.document.graph
        if item is None or analysis is None:
            return None
        node_view = item if isinstance(item, NetwrightNodeItem) else item.node
        block = self.block_nodes.nodes.get(node_view.name)
        if block is not None and block.view is node_view and node_view.name in graph.blocks:
            node_view.setToolTip(self.block_nodes.hover_text(graph, analysis, self._counts, node_view.name))
            return node_view.toolTip()
        node = graph.nodes.get(node_view.name)
        if node is None or self._nodes.get(node.id) is None or self._nodes[node.id].view is not node_view:
            return None
        node_type = self.registry.get(node.type_id) if node.type_id in self.registry else None
        if item is node_view:
            count = self._counts.get(node.id)
            item.setToolTip(tooltips.node_tooltip(node_type, node.id, analysis, count, node.type_id))
        elif node_type is not None:
            output = item.port_type == PortTypeEnum.OUT.value
            item.setToolTip(tooltips.port_tooltip(graph, analysis, node_type, node.id, item.name, output))
        return item.toolTip()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.GraphicsSceneHelp:  # the scene is about to show an item's tooltip
            for item in self.viewer.scene().items(event.scenePos()):
                if self.hover_text(item) is not None:
                    break
        return super().eventFilter(watched, event)

    # -- canvas gestures -> edits ----------------------------------------------------------------
    @staticmethod
    def _edge_of(port_a, port_b) -> Edge:
        out_view, in_view = (port_a, port_b) if port_a.port_type == PortTypeEnum.OUT.value else (port_b, port_a)
        return Edge(out_view.node.name, out_view.name, in_view.node.name, in_view.name)

    def _graph_edge(self, drawn: Edge) -> Edge:
        """The graph edge behind an edge drawn between canvas items (an end may be a collapsed block's port)."""
        graph = self.document.graph
        if drawn.src not in graph.blocks and drawn.dst not in graph.blocks:
            return drawn
        return Edge(*graph_end(graph, drawn.src, drawn.src_port), *graph_end(graph, drawn.dst, drawn.dst_port))

    def _creates_cycle(self, out_view, in_view) -> bool:
        """Whether a wire from `out_view` to `in_view` would close a cycle in the engine graph (the viewer's
        `acyclic_check`). An end on a collapsed block's port stands for the member behind it; an end the
        graph does not know is left to `_on_connection_changed`, which says why it cannot be made."""
        try:
            edge = self._graph_edge(self._edge_of(out_view, in_view))
        except GraphError:
            return False
        return graph_ops.creates_cycle(self.document.graph, edge)

    def _on_connection_changed(self, disconnected: list, connected: list) -> None:
        try:
            removed = [self._graph_edge(self._edge_of(a, b)) for a, b in disconnected]
            added = [self._graph_edge(self._edge_of(a, b)) for a, b in connected]
        except GraphError as exc:
            self.message.emit(str(exc))
            self._sync_pipes()
            return
        graph = self.document.graph
        for edge in added:
            refusal = graph_ops.connection_refusal(graph, edge)
            if refusal:
                self.message.emit(f"Cannot connect {edge}: {refusal}")
                self._sync_pipes()
                return
        label = "Connect" if added else "Disconnect"
        if not self.document.edit(label, lambda g: graph_ops.reconnect(g, removed, added)):
            self._sync_pipes()

    def _on_connection_sliced(self, pairs: list) -> None:
        removed = [self._graph_edge(self._edge_of(a, b)) for a, b in pairs]
        self.document.edit("Cut connections", lambda g: graph_ops.reconnect(g, removed, []))

    def _on_nodes_moved(self, moved: dict) -> None:
        positions = {item.name: item.xy_pos for item in moved}

        def move(graph: Graph) -> None:
            for node_id, (x, y) in positions.items():
                if node_id in graph.nodes:
                    graph_ops.set_position(graph, node_id, x, y)
                elif node_id in graph.blocks:  # a collapsed block: its nodes move with it
                    move_block(graph, node_id, x, y)

        if not self.document.edit("Move", move):
            self.sync()

    def _on_data_dropped(self, mime: QtCore.QMimeData, pos) -> None:
        text = mime.text() if mime.hasText() else ""
        if text.startswith(DRAG_PREFIX):
            self.add_node(text[len(DRAG_PREFIX) :], QtCore.QPointF(pos))

    # -- operations used by the window ---------------------------------------------------------------
    def add_node(self, type_id: str, scene_pos: QtCore.QPointF | None = None) -> str | None:
        if type_id not in self.registry:
            return None
        if scene_pos is None:
            scene_pos = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        created: list[str] = []
        x, y = scene_pos.x() - 95, scene_pos.y() - 30
        sizes = self.node_sizes()
        self.document.edit(
            f"Add {self.registry.get(type_id).title}",
            lambda g: created.append(graph_ops.add_node_in_free_space(g, type_id, x, y, sizes)),
        )
        if created:
            self.select([created[0]])
            return created[0]
        return None

    def selected_ids(self) -> list[str]:
        return [n.name() for n in self.node_graph.selected_nodes() if n.name() in self._nodes]

    def selected_blocks(self) -> list[str]:
        """The collapsed blocks selected on the canvas (drawn as nodes, but not engine nodes)."""
        return [n.name() for n in self.node_graph.selected_nodes() if n.name() in self.block_nodes.nodes]

    def select_blocks(self, block_ids: list[str]) -> None:
        self.node_graph.clear_selection()
        for block_id in block_ids:
            if block_id in self.block_nodes.nodes:
                self.block_nodes.nodes[block_id].set_selected(True)
        self._emit_selection()

    def select(self, node_ids: list[str], centre: bool = False) -> None:
        """Select nodes; a node inside a collapsed block selects that block (the item that draws it)."""
        self.node_graph.clear_selection()
        items = self._items()
        hidden = [n for n in node_ids if n not in items and n in self.document.graph.nodes]
        drawn = drawn_as(self.document.graph, self.frames.opened) if hidden else {}
        chosen = [drawn.get(n, n) for n in node_ids]
        for item_id in chosen:
            if item_id in items:
                items[item_id].set_selected(True)
        if centre and chosen and chosen[0] in items:
            self.node_graph.center_on([items[chosen[0]]])
        self._emit_selection()

    def _emit_selection(self, *_args) -> None:
        self.selection_changed.emit(self.selected_ids())

    def canvas_node(self, node_id: str):
        return self._nodes.get(node_id)

    def node_views(self) -> dict[str, QtWidgets.QGraphicsItem]:
        """The drawn item of every node and collapsed block, by id (the minimap and block frames read their places)."""
        return {node_id: canvas_node.view for node_id, canvas_node in self._items().items()}

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        blocks = self.selected_blocks()
        if blocks:  # a collapsed block goes with everything in it
            label = f"Delete {len(ids) + len(blocks)} item{'s' if len(ids) + len(blocks) > 1 else ''}"
            self.document.edit(label, lambda g: delete_with_blocks(g, ids, blocks))
            self._emit_selection()
        elif ids:
            self.document.edit(
                f"Delete {len(ids)} node{'s' if len(ids) > 1 else ''}", lambda g: graph_ops.delete_nodes(g, ids)
            )
            self._emit_selection()

    def delete_and_reconnect_selected(self) -> None:
        """Remove the selected nodes and close the gaps they leave in chains, when the shapes allow."""
        ids = self.selected_ids()
        if not ids:
            return
        bridges: list[Edge] = []
        label = f"Delete and reconnect {len(ids)} node{'s' if len(ids) > 1 else ''}"
        self.document.edit(label, lambda g: bridges.extend(graph_ops.delete_and_reconnect(g, ids)))
        if bridges:
            self.message.emit(f"Deleted {', '.join(ids)} and connected " + ", ".join(map(str, bridges)))
        else:
            self.message.emit(f"Deleted {', '.join(ids)}; nothing could be reconnected (the shapes do not fit)")
        self._emit_selection()

    def copy_selected(self) -> bool:
        ids = self.selected_ids()
        if not ids:
            return False
        data = json.dumps({"netwright_fragment": graph_ops.fragment(self.document.graph, ids)})
        QtWidgets.QApplication.clipboard().setText(data)
        return True

    def paste(self) -> None:
        try:
            data = json.loads(QtWidgets.QApplication.clipboard().text())["netwright_fragment"]
        except (ValueError, KeyError, TypeError):
            self.message.emit("The clipboard holds no Netwright nodes")
            return
        self._paste(data, "Paste", self.scene_cursor_pos())

    def duplicate_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._paste(graph_ops.fragment(self.document.graph, ids), "Duplicate")

    def _paste(self, data: dict, label: str, at: QtCore.QPointF | None = None) -> None:
        """Paste at `at` (the cursor), or beside the originals; never on top of a node."""
        created: list[str] = []
        where = (at.x(), at.y()) if at is not None else None
        sizes = self.node_sizes()
        try:
            self.document.edit(label, lambda g: created.extend(graph_ops.paste(g, data, where, sizes)))
        except (GraphError, ValueError) as exc:
            self.message.emit(f"{label} failed: {exc}")
            return
        self.select(created)

    def select_all(self) -> None:
        self.select(list(self._nodes))

    def node_heights(self) -> dict[str, float]:
        return {n: c.view.height for n, c in self._nodes.items()}

    def node_widths(self) -> dict[str, float]:
        return {n: c.view.width for n, c in self._nodes.items()}

    def node_sizes(self) -> dict[str, tuple[float, float]]:
        return {n: (c.view.width, c.view.height) for n, c in self._nodes.items()}

    def auto_layout(self) -> None:
        """The engine's layered layout, with the drawn node sizes; edges keep its routes (one undo step)."""
        heights, widths = self.node_heights(), self.node_widths()
        self.document.edit("Auto-layout", lambda g: graph_ops.lay_out(g, heights, widths))
        self.fit()

    def _route_of(self, out_view, in_view):
        """The bend points to draw an edge through now (see `engine.graph.layout.drawn_route`)."""
        node = self.document.graph.nodes.get(in_view.node.name)
        if node is None or not node.ui.get(ROUTES_KEY) or out_view.node.name not in self._nodes:
            return None, []
        edge = Edge(out_view.node.name, out_view.name, in_view.node.name, in_view.name)
        src, dst = out_view.node.pos(), in_view.node.pos()
        return drawn_route(node.ui, edge, (src.x(), src.y()), (dst.x(), dst.y()))

    def _redraw_rerouted(self, graph: Graph) -> None:
        """Redraw the incoming edges of nodes whose stored routes changed (a layout, an undo)."""
        for node in graph.nodes.values():
            routes = node.ui.get(ROUTES_KEY)
            if self._routes_drawn.get(node.id) == routes:
                continue
            self._routes_drawn[node.id] = routes
            canvas_node = self._nodes.get(node.id)
            for port in canvas_node.view.inputs if canvas_node is not None else ():
                for pipe in port.connected_pipes:
                    pipe.draw_path(pipe.input_port, pipe.output_port)

    def fit(self) -> None:
        items = [c.view for c in self._items().values()]
        if not items:
            self.viewer.reset_zoom()
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        self.viewer.frame(rect)

    def scene_cursor_pos(self) -> QtCore.QPointF:
        pos = self.viewer.mapFromGlobal(QtGui.QCursor.pos())
        if not self.viewer.viewport().rect().contains(pos):
            pos = self.viewer.viewport().rect().center()
        return self.viewer.mapToScene(pos)

    def close(self) -> None:
        self.document.changed.disconnect(self.sync)
        self.node_graph.close()
