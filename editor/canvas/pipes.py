"""Edges that show the tensor shape they carry, and the viewer that creates them.

An edge the auto-layout routed is drawn through its bend points (`engine.graph.layout.drawn_route`):
straight across each column it passes (its slot there is kept free of nodes) and as a smooth
S-curve with level ends between columns, so it never cuts a node box. The shape label sits on the
free stretch of the edge nearest its middle; with no room there, a shortened label (`Bx16x4x4`);
with no room for that either, the label shows only while the edge is hovered (and as its tooltip).
Below LABEL_MIN_ZOOM labels are not painted, which keeps zooming out cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme

LABEL_FONT = QtGui.QFont()
LABEL_FONT.setPointSizeF(8.0)
LABEL_GAP = 9.0  # between the edge (and its direction arrow) and the bottom of its label
LABEL_HEIGHT = 18.0
LABEL_MIN_ZOOM = 0.45  # below this scale labels are not painted (level of detail)
LABEL_SPOTS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.1, 0.9)  # where along the edge to try, in order
Route = tuple[float | None, list[tuple[float, float]]]  # exit x, bend points (see engine.graph.layout.drawn_route)


def short_shape(text: str) -> str:
    """`B x 16 x 4 x 4` -> `Bx16x4x4`: the same shape in less room."""
    return text.replace(" x ", "x").replace(", ", ",")


def smooth_path(start: QtCore.QPointF, end: QtCore.QPointF, route: Route) -> QtGui.QPainterPath:
    """From an output port to an input port through a route: straight to the exit, straight
    through every column (each pair of bend points), S-curves with level ends in between."""
    exit_x, points = route
    waypoints = [(start.x(), start.y())]
    straight = []  # straight[i]: whether the stretch from waypoint i to i+1 is a line
    if exit_x is not None and exit_x > start.x():
        waypoints.append((exit_x, start.y()))
        straight.append(True)
    for i, point in enumerate(points):
        waypoints.append(point)
        straight.append(i % 2 == 1)  # into a column: curve; across it: line
    waypoints.append((end.x(), end.y()))
    straight.append(False)
    path = QtGui.QPainterPath(QtCore.QPointF(*waypoints[0]))
    for (ax, ay), (bx, by), line in zip(waypoints, waypoints[1:], straight, strict=False):
        if line:
            path.lineTo(bx, by)
        else:
            middle = (ax + bx) / 2
            path.cubicTo(middle, ay, middle, by, bx, by)
    return path


class ShapeLabel(QtWidgets.QGraphicsItem):
    """A small rounded tag with the edge's tensor shape (`B x 16 x 4 x 4`)."""

    def __init__(self, parent: QtWidgets.QGraphicsItem):
        super().__init__(parent)
        self.text = ""  # what is drawn: the full shape or its short form
        self.full_text = ""
        self.error = False
        self.fits = True  # False: no free stretch on the edge; shown only while the edge is hovered
        self._rect = QtCore.QRectF()
        self.setZValue(2)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)

    @staticmethod
    def rect_for(text: str) -> QtCore.QRectF:
        """The tag's box around its anchor (the anchor is at the middle of its bottom edge)."""
        width = QtGui.QFontMetricsF(LABEL_FONT).horizontalAdvance(text) + 10
        return QtCore.QRectF(-width / 2, -LABEL_HEIGHT, width, LABEL_HEIGHT)

    def set_text(self, text: str, error: bool = False) -> None:
        if (text, error) == (self.full_text, self.error):
            return
        self.full_text, self.error = text, error
        self.show_text(text)

    def show_text(self, text: str) -> None:
        if text == self.text:
            return
        self.prepareGeometryChange()
        self.text = text
        self._rect = self.rect_for(text) if text else QtCore.QRectF()
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect

    def paint(self, painter, option, widget=None):
        zoom = QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if not self.text or zoom < LABEL_MIN_ZOOM:
            return
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        border = theme.ERROR if self.error else (70, 76, 92)
        painter.setPen(QtGui.QPen(theme.qcolor(border), 1.0))
        painter.setBrush(theme.qcolor(theme.SHAPE_BG, 235))
        painter.drawRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5), 9, 9)
        painter.setFont(LABEL_FONT)
        painter.setPen(theme.qcolor((255, 150, 150) if self.error else (196, 202, 216)))
        painter.drawText(self._rect, QtCore.Qt.AlignmentFlag.AlignCenter, self.text)
        painter.restore()


class ShapePipeItem(PipeItem):
    """A NodeGraphQt pipe with a shape label that follows the pipe when nodes move."""

    def __init__(self, input_port=None, output_port=None):
        super().__init__(input_port, output_port)
        self.label = ShapeLabel(self)
        self.label.setVisible(False)
        self._overview = False  # zoomed out: the label and the direction arrow are not painted
        self._placer: LabelPlacer | None = None  # the viewer's, once this pipe asked it to place the label

    def paint(self, painter, option, widget=None):
        overview = QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()) < (
            LABEL_MIN_ZOOM
        )
        if overview != self._overview:  # transparent children are skipped by Qt without a Python call each frame
            self._overview = overview
            for child in self.childItems():
                child.setOpacity(0.0 if overview else 1.0)
        if not overview and self._placer is not None and self._placer.pending:  # labels left for a readable scale
            self._placer.shown_at(LABEL_MIN_ZOOM)
        super().paint(painter, option, widget)
        self.gradient_color: tuple[int, int, int] | None = None  # step mode: the gradient that flowed back

    def set_gradient_color(self, rgb: tuple[int, int, int] | None) -> None:
        """Draw the edge in `rgb` (step mode), or in its normal colour again with None."""
        self.gradient_color = rgb
        self.reset()

    def reset(self):
        super().reset()  # NodeGraphQt calls this after hover and selection: keep the step colour
        if getattr(self, "gradient_color", None) is not None:  # (reset also runs inside PipeItem.__init__)
            self.set_pipe_styling(color=(*self.gradient_color, 255), width=3, style=self.style)

    def set_shape_text(self, text: str, error: bool = False) -> None:
        self.label.set_text(text, error)
        self.setToolTip(text)
        self._request_label()

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        route = self._route(start_port, end_port) if end_port is not None and cursor_pos is None else None
        if route is None:
            super().draw_path(start_port, end_port, cursor_pos)
        else:
            out_port, in_port = self._ordered(start_port, end_port)
            path = smooth_path(self._port_centre(out_port), self._port_centre(in_port), route)
            if out_port is not start_port:
                path = path.toReversed()
            self.setPath(path)
            self._draw_direction_pointer()
        self._request_label()

    @staticmethod
    def _ordered(a, b):
        return (a, b) if a.port_type == PortTypeEnum.OUT.value else (b, a)

    @staticmethod
    def _port_centre(port) -> QtCore.QPointF:
        rect = port.boundingRect()
        return port.scenePos() + QtCore.QPointF(rect.width() / 2, rect.height() / 2)

    def _route(self, start_port, end_port) -> Route | None:
        viewer = self.viewer()
        routes_of = getattr(viewer, "routes_of", None) if viewer is not None else None
        if routes_of is None:
            return None
        out_port, in_port = self._ordered(start_port, end_port)
        exit_x, points = routes_of(out_port, in_port)
        return (exit_x, points) if exit_x is not None or points else None

    def hoverEnterEvent(self, event):
        super().hoverEnterEvent(event)
        if self.label.full_text and not self.label.fits:
            self.label.show_text(self.label.full_text)
            self._anchor_label(self.path().pointAtPercent(0.5))
            self.label.setVisible(True)

    def hoverLeaveEvent(self, event):
        super().hoverLeaveEvent(event)
        if not self.label.fits:
            self.label.setVisible(False)

    def _request_label(self) -> None:
        viewer = self.viewer()
        placer = getattr(viewer, "labels", None) if viewer is not None else None
        if placer is not None:
            self._placer = placer
            placer.request(self)
        else:
            self.place_label(lambda box: True)

    def place_label(self, is_free: Callable[[QtCore.QRectF], bool]) -> None:
        """On the free stretch nearest the middle: full text, else short, else hidden until hover."""
        label, path = self.label, self.path()
        if path.isEmpty() or not label.full_text:
            label.setVisible(False)
            return
        for text in dict.fromkeys((label.full_text, short_shape(label.full_text))):
            box = ShapeLabel.rect_for(text)
            for spot in LABEL_SPOTS:
                anchor = path.pointAtPercent(spot)
                if is_free(box.translated(anchor.x(), anchor.y() - LABEL_GAP)):
                    label.show_text(text)
                    self._anchor_label(anchor)
                    label.fits = True
                    label.setVisible(True)
                    return
        label.show_text(label.full_text)
        label.fits = False
        label.setVisible(False)

    def _anchor_label(self, anchor: QtCore.QPointF) -> None:
        self.label.setPos(anchor.x(), anchor.y() - LABEL_GAP)


class LabelPlacer:
    """Places the labels of pipes drawn anew, all at once when the event loop next turns, against a
    grid of the node boxes (widened by the ports that stick out of them): a layout that moves every
    node places each label once, and no query walks the scene's items.

    Below LABEL_MIN_ZOOM labels are not painted, so placing them waits until the view is zoomed in
    (a pipe painted at a readable scale asks again): a big graph opens fitted, far below that scale,
    and placing its 570 labels was about a twentieth of opening it."""

    CELL = 256.0
    PORT_MARGIN = 12.0  # ports stick out of a node's sides by about this much

    def __init__(self, viewer: NodeViewer):
        self.viewer = viewer
        self.pending: dict[ShapePipeItem, None] = {}
        self.timer = QtCore.QTimer(viewer)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._flush_when_shown)

    def request(self, pipe: ShapePipeItem) -> None:
        self.pending[pipe] = None
        if not self.timer.isActive():
            self.timer.start()

    def shown_at(self, zoom: float) -> None:
        """A pipe was painted at `zoom`: labels waiting for a readable scale are placed now (next turn)."""
        if self.pending and zoom >= LABEL_MIN_ZOOM and not self.timer.isActive():
            self.timer.start()

    def _flush_when_shown(self) -> None:
        if self.viewer.transform().m11() >= LABEL_MIN_ZOOM:
            self.flush()

    def flush(self) -> None:
        """Place every label asked for, whatever the scale."""
        pending, self.pending = list(self.pending), {}
        self.timer.stop()
        if not pending or self.viewer.scene() is None:
            return
        grid: dict[tuple[int, int], list[QtCore.QRectF]] = {}
        for node in self.viewer.all_nodes():
            if node.isVisible():
                box = node.sceneBoundingRect().adjusted(-self.PORT_MARGIN, 0, self.PORT_MARGIN, 0)
                for cell in self._cells(box):
                    grid.setdefault(cell, []).append(box)

        def is_free(box: QtCore.QRectF) -> bool:
            return not any(other.intersects(box) for cell in self._cells(box) for other in grid.get(cell, ()))

        for pipe in pending:
            try:
                if pipe.scene() is not None:
                    pipe.place_label(is_free)
            except RuntimeError:  # deleted since it asked
                continue

    def _cells(self, box: QtCore.QRectF):
        size = self.CELL
        for i in range(int(box.left() // size), int(box.right() // size) + 1):
            for j in range(int(box.top() // size), int(box.bottom() // size) + 1):
                yield i, j


class CanvasViewer(NodeViewer):
    """NodeGraphQt's viewer, creating shape-labelled pipes; Tab asks for the quick-add box."""

    tab_pressed = QtCore.Signal()
    routes_of: Callable | None = None  # (out port view, in port view) -> Route; the canvas sets it
    creates_cycle: Callable | None = None  # (out port view, in port view) -> bool, from the engine; the canvas sets it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = LabelPlacer(self)

    def event(self, event):
        if event.type() == QtCore.QEvent.Type.KeyPress and event.key() == QtCore.Qt.Key.Key_Tab:
            self.tab_pressed.emit()
            return True
        return super().event(event)

    def keyPressEvent(self, event):
        super().keyPressEvent(event)
        # NodeGraphQt writes "CTRL: Deselect Nodes" at the cursor while a modifier is down and
        # hides it on key release, which never comes when Ctrl+S or Ctrl+E opens a dialog
        self._cursor_text.setVisible(False)

    def mousePressEvent(self, event):
        # the modifier state NodeGraphQt keeps from key events goes stale when a shortcut's
        # dialog took the key release (a stuck Ctrl turns a click into "deselect"): read it here
        modifiers = event.modifiers()
        Mod = QtCore.Qt.KeyboardModifier
        self.ALT_state = bool(modifiers & Mod.AltModifier)
        self.CTRL_state = modifiers == Mod.ControlModifier
        self.SHIFT_state = bool(modifiers & Mod.ShiftModifier)
        self._cursor_text.setVisible(False)
        super().mousePressEvent(event)

    _framed: tuple[QtCore.QRectF, float, float] | None = None  # what `frame` showed, until the user moves the view

    def resizeEvent(self, event):
        framed = self._framed
        super().resizeEvent(event)  # NodeGraphQt zooms by the change in size
        if framed is not None:
            self.frame(*framed)

    def wheelEvent(self, event):
        self._framed = None
        super().wheelEvent(event)

    def _set_viewer_pan(self, pos_x, pos_y):
        self._framed = None
        super()._set_viewer_pan(pos_x, pos_y)

    def set_zoom(self, value=0.0):
        self._framed = None
        super().set_zoom(value)

    def center_selection(self, nodes=None):
        self._framed = None
        super().center_selection(nodes)

    def focusOutEvent(self, event):
        self.ALT_state = self.CTRL_state = self.SHIFT_state = False
        self._cursor_text.setVisible(False)
        super().focusOutEvent(event)

    def acyclic_check(self, start_port, end_port) -> bool:
        """Whether connecting the two ports leaves the graph without a cycle; NodeGraphQt asks it when a
        dragged wire is dropped on a port (and in `Port.connect_to`).

        NodeGraphQt's own check walks every path below the new edge's end without remembering what it
        visited: exponential in the residual blocks below it, so a wire dropped near the start of the
        500-node graph hung the window. Here one walk visits each node once (the engine graph's, when
        the canvas gave `creates_cycle`; else the drawn items')."""
        out_view, in_view = ShapePipeItem._ordered(start_port, end_port)
        if self.creates_cycle is not None:
            return not self.creates_cycle(out_view, in_view)
        return not _reaches(in_view.node, out_view.node)

    def establish_connection(self, start_port, end_port):
        pipe = ShapePipeItem()
        self.scene().addItem(pipe)
        pipe.set_connections(start_port, end_port)
        pipe.color = (*theme.EDGE, 255)
        pipe.set_pipe_styling(color=pipe.color, width=2, style=pipe.style)  # `reset` without its arrow: drawn next
        pipe.draw_path(pipe.input_port, pipe.output_port)
        if start_port.node.selected or end_port.node.selected:
            pipe.highlight()
        if not start_port.node.visible or not end_port.node.visible:
            pipe.hide()

    def frame(self, rect: QtCore.QRectF, margin: float = 30.0, max_scale: float = 1.0) -> None:
        """Show `rect` (scene coordinates) whole, never zooming in past `max_scale`.

        Until the user zooms or pans, the view keeps showing `rect` when it is resized: a file opened at
        start was framed in the window's first, provisional size (or none at all) and then shown at
        NodeGraphQt's default scale once the window took its real size."""
        self._framed = (QtCore.QRectF(rect), margin, max_scale)
        rect = rect.adjusted(-margin, -margin, margin, margin)
        view = self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            return
        scale = min(view.width() / rect.width(), view.height() / rect.height(), max_scale)
        width, height = view.width() / scale, view.height() / scale
        framed = QtCore.QRectF(0, 0, width, height)
        framed.moveCenter(rect.center())
        self._scene_range = framed
        self._update_scene()


def _reaches(start, target) -> bool:
    """Whether the drawn node item `target` lies downstream of `start` (each item visited once)."""
    seen, todo = {id(start)}, [start]
    while todo:
        for port in todo.pop().outputs:
            for pipe in port.connected_pipes:
                node = pipe.input_port.node if pipe.input_port is not None else None
                if node is None:
                    continue
                if node is target:
                    return True
                if id(node) not in seen:
                    seen.add(id(node))
                    todo.append(node)
    return False
