"""Blocks on the canvas: titled frames behind their nodes, and the edits that make, dissolve and insert them.

The engine owns what a block is (engine/graph/grouping.py, engine/graph/blocks.py); the canvas
draws an open block as a frame around its nodes (nested blocks inside their parent's frame, like
Blender's node frames; a collapsed block is one card, editor/canvas/collapsed.py) and sends Make
Block (which collapses the selection into one card), Ungroup and Insert Block through the
document's undo stack like every other edit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from engine.analysis import Analysis
from engine.analysis.block_status import block_status
from engine.graph import Graph, GraphError
from engine.graph.block_library import BlockLibraryError, library_blocks, load_library_block, save_to_library
from engine.graph.blocks import BUILTIN_BLOCKS, BlockTemplate, builtin_block, insert_block
from engine.graph.grouping import block_path, make_block, nodes_in, parents, ungroup
from engine.graph.layout import usable_position

if TYPE_CHECKING:
    from editor.canvas.canvas import Canvas

PADDING = 18.0  # between a frame and what it holds
TITLE_HEIGHT = 24.0
FRAME_Z = -20.0  # behind pipes and nodes; nested frames one step above their parent
STEP_X, STEP_Y = 230.0, 120.0  # spacing of the nodes of an inserted block
FADED = 0.18  # opacity of what lies outside an opened block
BLOCK_PREFIX = "block:"  # palette keys of blocks (`block:builtin:residual`, `block:user:<file stem>`)


def library_folder() -> Path:
    """The user's block library: `blocks/` in the application's data folder."""
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netwright") / "blocks"


class _Frame(QtWidgets.QGraphicsPathItem):
    """A block's frame; double-clicking it (where no node is) opens the block."""

    def __init__(self, shape: QtGui.QPainterPath, block_id: str):
        super().__init__(shape)
        self.block_id = block_id
        self.on_open: Callable[[str], None] | None = None

    def mouseDoubleClickEvent(self, event: QtWidgets.QGraphicsSceneMouseEvent) -> None:
        if self.on_open is not None:
            self.on_open(self.block_id)
        event.accept()


class BlockFrames:
    """One titled frame per block, hugging the nodes (and nested frames) it holds.

    A frame is the union of its members' boxes, widened, not their bounding rectangle: in a layout
    where a block's nodes are not side by side, a node outside the block is never drawn inside it.
    """

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.frames: dict[str, _Frame] = {}
        self.opened: str | None = None  # the block opened for editing (double-click its title); None: all
        self.crumbs = QtWidgets.QLabel(canvas.viewer)
        self.crumbs.setObjectName("blockBreadcrumbs")
        self.crumbs.setStyleSheet(
            f"background: rgba{(*theme.SHAPE_BG, 230)}; color: rgb{theme.TEXT}; padding: 4px 8px; border-radius: 4px;"
        )
        self.crumbs.move(10, 10)
        self.crumbs.linkActivated.connect(lambda target: self.open(None if target == "graph" else target))
        self.crumbs.hide()
        self._graph: Graph | None = None
        self._faded = False  # whether anything is drawn faded now
        self._status: tuple[Analysis, dict[str, int]] | None = None

    def sync(self, graph: Graph) -> None:
        scene = self.canvas.viewer.scene()
        for item in self.frames.values():
            scene.removeItem(item)
        self.frames = {}
        views = self.canvas.node_views()
        owner = parents(graph)
        depth = {b: len(block_path(graph, b, owner)) for b in graph.blocks}
        for block_id in sorted(graph.blocks, key=lambda b: -depth[b]):  # inner frames first: outer ones wrap them
            block = graph.blocks[block_id]
            boxes = [views[n].sceneBoundingRect() for n in (*block.nodes, *block.blocks) if n in views]  # nested
            # collapsed blocks are drawn as nodes (editor/canvas/collapsed.py)
            inner = [self.frames[b].path() for b in block.blocks if b in self.frames]
            if not boxes and not inner:
                continue
            shape = QtGui.QPainterPath()
            shape.setFillRule(QtCore.Qt.FillRule.WindingFill)
            for box in boxes:
                shape.addRoundedRect(box.adjusted(-PADDING, -PADDING, PADDING, PADDING), 8, 8)
            for bridge in _bridges(graph, block_id, views):
                shape.addRect(bridge)
            widen = QtGui.QPainterPathStroker()
            widen.setWidth(PADDING)
            for path in inner:
                shape.addPath(path)
                shape.addPath(widen.createStroke(path))
            anchor = (boxes[0] if boxes else inner[0].boundingRect()).adjusted(-PADDING, -PADDING, 0, 0)
            tab = QtCore.QRectF(
                anchor.left(), anchor.top() - TITLE_HEIGHT, max(anchor.width(), 160.0), TITLE_HEIGHT + 8
            )
            shape.addRoundedRect(tab, 6, 6)
            frame = self._frame(shape.simplified(), block.title or block_id, block_id, depth[block_id], tab.topLeft())
            frame.on_open = self.open
            self.frames[block_id] = frame
            scene.addItem(frame)
        self._graph = graph
        if self._status is not None:  # until the analysis of this edit arrives, the last one's figures
            self.show_status(graph, *self._status)
        if self.opened not in graph.blocks:
            self.opened = None
        self._show_opened()

    def open(self, block_id: str | None) -> None:
        """Open a block for editing: the rest of the graph fades, the view fits the block, breadcrumbs lead back."""
        self.opened = block_id if self._graph is not None and block_id in self._graph.blocks else None
        if any(block.collapsed for block in self._graph.blocks.values()) if self._graph is not None else False:
            self.canvas.sync()  # a collapsed block opened (or left) draws its nodes (or folds them away again)
            self.canvas.show_last_analysis()  # shapes, problems: the graph is unchanged, so no analysis comes
        else:
            self._show_opened()
        if self.opened in self.frames:
            self.canvas.viewer.frame(self.frames[self.opened].sceneBoundingRect(), margin=40.0)

    def _show_opened(self) -> None:
        graph = self._graph
        inside = set(nodes_in(graph, self.opened)) if graph is not None and self.opened else None
        if inside is not None:  # collapsed blocks within the opened one are drawn as nodes named by their ids
            inside |= {b for b in graph.blocks if self.opened in block_path(graph, b)}
        if inside is None and not self._faded:  # nothing opened now or before: nothing to walk (every edit syncs)
            self.crumbs.hide()
            return
        self._faded = inside is not None
        for node_id, view in self.canvas.node_views().items():
            view.setOpacity(1.0 if inside is None or node_id in inside else FADED)
        for item in self.canvas.viewer.scene().items():
            ends = [getattr(item, name, None) for name in ("input_port", "output_port")]
            if all(end is not None and hasattr(end, "node") for end in ends):
                kept = inside is None or all(end.node.name in inside for end in ends)
                item.setOpacity(1.0 if kept else FADED)
        for block_id, frame in self.frames.items():
            kept = inside is None or block_id == self.opened or set(nodes_in(graph, block_id)) <= inside
            frame.setOpacity(1.0 if kept else FADED)
        if graph is None or self.opened is None:
            self.crumbs.hide()
            return
        path = [*block_path(graph, self.opened), self.opened]
        links = ['<a href="graph" style="color: #9fb4ff">Graph</a>']
        for block_id in path[:-1]:
            title = graph.blocks[block_id].title or block_id
            links.append(f'<a href="{block_id}" style="color: #9fb4ff">{title}</a>')
        links.append(f"<b>{graph.blocks[self.opened].title or self.opened}</b>")
        self.crumbs.setText(" › ".join(links))
        self.crumbs.adjustSize()
        self.crumbs.show()
        self.crumbs.raise_()

    @staticmethod
    def _frame(shape: QtGui.QPainterPath, title: str, block_id: str, depth: int, corner: QtCore.QPointF) -> _Frame:
        frame = _Frame(shape, block_id)
        frame.setZValue(FRAME_Z + depth)
        frame.setPen(QtGui.QPen(QtGui.QColor(*theme.NODE_BORDER), 1.5, QtCore.Qt.PenStyle.DashLine))
        frame.setBrush(QtGui.QColor(*theme.NODE_BODY, 90))
        frame.setToolTip(
            f"Block `{block_id}` ({title}): double-click to open it; Ctrl+Shift+G on a node inside dissolves it"
        )
        label = QtWidgets.QGraphicsSimpleTextItem(f"{title}  ({block_id})", frame)
        label.setBrush(QtGui.QColor(*theme.TEXT_DIM))
        label.setPos(corner.x() + 8, corner.y() + 5)
        frame.setData(0, block_id)
        return frame

    def show_status(self, graph: Graph, analysis: Analysis, counts: dict[str, int]) -> None:
        """On each frame, as on a node: its parameters, its problems (red when one is an error), its ports' shapes."""
        self._status = (analysis, counts)
        for block_id, frame in self.frames.items():
            if block_id not in graph.blocks:
                continue
            status = block_status(graph, analysis, block_id)
            inside = nodes_in(graph, block_id)
            parameters = sum(counts.get(n, 0) for n in inside)
            parts = [f"{graph.blocks[block_id].title or block_id}  ({block_id})"]
            if parameters:
                parts.append(f"{parameters:,} parameters")
            if status.problems:
                parts.append(f"{len(status.problems)} problem{'s' if len(status.problems) > 1 else ''}")
            label = frame.childItems()[0]
            label.setText("  ·  ".join(parts))
            label.setBrush(QtGui.QColor(*(theme.ERROR if status.has_errors else theme.TEXT_DIM)))
            ports = [f"in {name}: {spec or '?'}" for name, spec in status.inputs.items()]
            ports += [f"out {name}: {spec or '?'}" for name, spec in status.outputs.items()]
            problems = [p.message for p in status.problems[:3]]
            frame.setToolTip("\n".join([frame.toolTip().split("\n")[0], *ports, *problems]))

    def title_of(self, block_id: str) -> str:
        """The text drawn on a block's frame (tests and screenshots read it)."""
        labels = [c for c in self.frames[block_id].childItems() if isinstance(c, QtWidgets.QGraphicsSimpleTextItem)]
        return labels[0].text() if labels else ""


def _bridges(graph: Graph, block_id: str, views: dict) -> list[QtCore.QRectF]:
    """Join the boxes of two connected members where nothing outside the block lies between them."""
    inside = set(nodes_in(graph, block_id))
    others = [views[n].sceneBoundingRect() for n in views if n not in inside]
    bridges = []
    for edge in graph.edges:
        if edge.src in inside and edge.dst in inside and edge.src in views and edge.dst in views:
            a, b = views[edge.src].sceneBoundingRect(), views[edge.dst].sceneBoundingRect()
            top, bottom = max(a.top(), b.top()), min(a.bottom(), b.bottom())
            if bottom <= top:
                continue  # not side by side: a bridge would be a diagonal box over other things
            left, right = min(a.right(), b.right()), max(a.left(), b.left())
            span = QtCore.QRectF(left, top - PADDING, right - left, bottom - top + 2 * PADDING)
            if not any(span.intersects(other) for other in others):
                bridges.append(span)
    return bridges


# -- edits --------------------------------------------------------------------------------------------


def make_block_from_selection(canvas: Canvas, title: str = "") -> str | None:
    """Ctrl+G: group the selected nodes (with the blocks they sit in at their level) into a new block,
    drawn at once as one collapsed card whose ports are the crossing edges (one undo step); it is left
    selected, so a double-click opens it and Ctrl+Shift+G dissolves it."""
    selected, blocks = canvas.selected_ids(), canvas.selected_blocks()  # collapsed blocks are selected as nodes
    if not selected and not blocks:
        canvas.message.emit("Select the nodes to group into a block")
        return None
    made: list[str] = []

    def group(graph: Graph) -> None:
        made.append(make_block(graph, _level_items(graph, selected + blocks), title, collapsed=True).id)

    if not (_edit(canvas, "Make Block", group) and made):
        return None
    canvas.select_blocks(made)
    return made[0]


def ungroup_selection(canvas: Canvas) -> list[str]:
    """Ctrl+Shift+G: dissolve the innermost block of each selected node (once per block)."""
    graph = canvas.document.graph
    owner = parents(graph)
    blocks = list(dict.fromkeys([*canvas.selected_blocks(), *(owner[n] for n in canvas.selected_ids() if n in owner)]))
    if not blocks:
        canvas.message.emit("The selected nodes are in no block")
        return []

    freed: list[str] = []

    def dissolve(graph: Graph) -> None:
        for block_id in blocks:
            freed.extend(ungroup(graph, block_id))

    if not _edit(canvas, "Ungroup", dissolve):
        return []
    canvas.select(freed)  # what the block held comes back selected (nested collapsed blocks as their cards)
    return blocks


def insert_template(canvas: Canvas, template: BlockTemplate) -> str | None:
    """Insert a block after the one selected node (fed by its first output), or at the view's centre."""
    graph = canvas.document.graph
    selected = canvas.selected_ids()
    source = None
    origin = canvas.viewer.mapToScene(canvas.viewer.viewport().rect().center())
    x, y = origin.x(), origin.y()
    if len(selected) == 1:
        node = graph.nodes[selected[0]]
        outputs = canvas.registry.get(node.type_id).outputs if node.type_id in canvas.registry else ()
        if outputs:
            source = (node.id, outputs[0].name)
        x, y = usable_position(node.ui) or (x, y)
        x += STEP_X
    made: list[str] = []

    def insert(graph: Graph) -> None:
        inserted = insert_block(graph, template, [source] if source and template.inputs else [])
        inserted.block.collapsed = False  # drawn open, as a frame
        _place(graph, inserted.block.id, template, x, y)
        made.append(inserted.block.id)

    return made[0] if _edit(canvas, f"Insert {template.title}", insert) and made else None


def insert_builtin(canvas: Canvas, name: str) -> str | None:
    return insert_template(canvas, builtin_block(name))


def save_selection_block(canvas: Canvas, folder: Path | None = None) -> Path | None:
    """Save the selected collapsed block, or else the innermost block of the first selected node, to the user's
    library."""
    graph = canvas.document.graph
    owner = parents(graph)
    block_id = next(iter(canvas.selected_blocks()), None) or next(
        (owner[n] for n in canvas.selected_ids() if n in owner), None
    )
    if block_id is None:
        canvas.message.emit("Select a block, or a node inside the block, to save")
        return None
    try:
        path = save_to_library(graph, block_id, folder or library_folder())
    except (BlockLibraryError, GraphError) as exc:
        canvas.message.emit(str(exc))
        return None
    canvas.message.emit(f"Saved block `{block_id}` to {path}")
    return path


def user_blocks(folder: Path | None = None) -> tuple[dict[str, BlockTemplate], list[str]]:
    return library_blocks(folder or library_folder())


def builtin_titles() -> dict[str, str]:
    return {name: make().title for name, make in BUILTIN_BLOCKS.items()}


def palette_entries(folder: Path | None = None) -> list[tuple[str, str, str]]:
    """(key, title, tooltip) of every built-in block, then the user's library: the palette's BLOCKS section."""
    entries = [
        (f"{BLOCK_PREFIX}builtin:{name}", title, BUILTIN_BLOCKS[name].__doc__ or "")
        for name, title in builtin_titles().items()
    ]
    found, _ = user_blocks(folder)
    for stem, template in found.items():
        entries.append((f"{BLOCK_PREFIX}user:{stem}", template.title or stem, f"From your library ({stem}.json)"))
    return entries


def insert_from_key(canvas: Canvas, key: str, folder: Path | None = None) -> str | None:
    """Insert the palette's block `key` (`block:builtin:<name>` or `block:user:<file stem>`)."""
    _, kind, name = key.split(":", 2)
    if kind == "builtin":
        return insert_builtin(canvas, name)
    try:
        template = load_library_block((folder or library_folder()) / f"{name}.json")
    except BlockLibraryError as exc:
        canvas.message.emit(str(exc))
        return None
    return insert_template(canvas, template)


def _level_items(graph: Graph, selected: list[str]) -> list[str]:
    """The selection at the level of its shallowest node: a node inside a nested block stands for that block."""
    owner = parents(graph)
    paths = {n: block_path(graph, n, owner) for n in selected}
    level = min(paths.values(), key=len)
    items = []
    for node_id, path in paths.items():
        if path[: len(level)] != level:
            items.append(node_id)  # another branch: make_block refuses it with the paths named
        else:
            items.append(path[len(level)] if len(path) > len(level) else node_id)
    return list(dict.fromkeys(items))


def _place(graph: Graph, block_id: str, template: BlockTemplate, x: float, y: float) -> None:
    """Lay the new nodes left to right by depth, parallel branches stacked."""
    prefix = f"{block_id}_"
    depth: dict[str, int] = {}
    for node_id in template.graph.nodes:  # template nodes are listed in build order, sources first
        before = [depth[p] for p in template.graph.predecessors(node_id) if p in depth]
        depth[node_id] = max(before, default=-1) + 1
    rows: dict[int, int] = {}
    for node_id, column in depth.items():
        row = rows.get(column, 0)
        rows[column] = row + 1
        graph.nodes[prefix + node_id].ui.update(x=x + column * STEP_X, y=y + row * STEP_Y)


def _edit(canvas: Canvas, label: str, mutate) -> bool:
    """One undoable edit; a refusal goes to the status bar as one line."""
    try:
        return canvas.document.edit(label, mutate)
    except GraphError as exc:
        canvas.message.emit(str(exc))
        return False


def insert_block_menu(canvas: Canvas, parent: QtWidgets.QWidget) -> QtWidgets.QMenu:
    """Edit > Insert Block: the built-in blocks, then the user's library (read each time the menu opens)."""
    menu = QtWidgets.QMenu("&Insert Block", parent)

    def fill() -> None:
        menu.clear()
        for name, title in builtin_titles().items():
            action = menu.addAction(title)
            action.setToolTip(BUILTIN_BLOCKS[name].__doc__ or "")
            action.triggered.connect(lambda _=False, n=name: insert_builtin(canvas, n))
        found, problems = user_blocks()
        menu.addSection("Your blocks")
        for stem, template in found.items():
            action = menu.addAction(template.title or stem)
            action.triggered.connect(lambda _=False, t=template: insert_template(canvas, t))
        if not found:
            empty = menu.addAction("None yet: select a node in a block, then Save Block to Library")
            empty.setEnabled(False)
        for problem in problems:
            broken = menu.addAction(f"Cannot read {Path(problem.split(':')[0]).name}")
            broken.setToolTip(problem)
            broken.setEnabled(False)

    menu.aboutToShow.connect(fill)
    fill()
    return menu
