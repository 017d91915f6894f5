"""The minimap: an overview of the whole graph in the canvas's corner, with the part on screen
outlined; click or drag in it to move the view there.

It draws a thumbnail (a box per node in its category's colour, a line per edge), rebuilt when
the graph changes, not a second view of the scene: repainting 500 nodes' text and shape labels
at thumbnail size on every frame would cost as much as the canvas itself. It shows itself only
while part of the graph is off screen (there is nothing to navigate when everything is in view).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from editor.canvas.find import centre_view

SIZE = QtCore.QSize(240, 160)
MARGIN = 12  # from the canvas's corner
PADDING = 8.0  # inside the frame, around the graph
MIN_NODE = 3.0  # pixels: the smallest box a node is drawn as
MIN_OUTLINE = 8.0  # pixels: the outline of the part on screen never shrinks to a dot
MAP_BG = (17, 19, 23)  # a shade darker than the canvas, so the map reads as a separate panel
SEVERITY_COLORS = {"error": theme.ERROR, "warning": (224, 176, 80)}


class Minimap(QtWidgets.QWidget):
    """Sits over the bottom-right corner of `canvas.viewer` (an `editor.canvas.canvas.Canvas`)."""

    def __init__(self, canvas, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent or canvas.viewer)
        self.canvas = canvas
        self.enabled = True  # the View menu's toggle; shown only while the graph does not fit the view too
        self.scene_rect = QtCore.QRectF()  # what the thumbnail covers, in scene coordinates
        self.visible_rect = QtCore.QRectF()  # the part of the scene the canvas shows
        self._thumbnail = QtGui.QPixmap()
        self._dragging = False
        self.setFixedSize(SIZE)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent)  # the canvas under it need not repaint
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview of the graph: click or drag to move the view")
        self._rebuild_soon = QtCore.QTimer(self)
        self._rebuild_soon.setSingleShot(True)
        self._rebuild_soon.setInterval(0)  # after the canvas has synced to the change
        self._rebuild_soon.timeout.connect(self.rebuild)
        canvas.document.changed.connect(self._rebuild_soon.start)
        canvas.viewer.installEventFilter(self)  # resizes: keep to the corner
        canvas.viewer.viewport().installEventFilter(self)  # paints: the view may have moved or zoomed
        self.hide()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.rebuild()

    # -- the thumbnail --------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Draw the thumbnail again from the canvas's nodes and the graph's edges."""
        views = self.canvas.node_views()
        rects = {node_id: view.sceneBoundingRect() for node_id, view in views.items()}
        if not rects or not self.enabled:
            self.scene_rect = QtCore.QRectF()
            self._thumbnail = QtGui.QPixmap()
            self._follow_view()
            return
        bounds = QtCore.QRectF()
        for rect in rects.values():
            bounds = bounds.united(rect)
        self.scene_rect = bounds
        pixmap = QtGui.QPixmap(self.size() * self.devicePixelRatioF())
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(pixmap)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        to_map = self._to_map()
        rects = {node_id: to_map.mapRect(rect) for node_id, rect in rects.items()}
        painter.setPen(QtGui.QPen(theme.qcolor(theme.EDGE, 70), 1))  # faint: the nodes are what to find
        for edge in self.canvas.document.graph.edges:
            if edge.src in rects and edge.dst in rects:
                src, dst = rects[edge.src], rects[edge.dst]
                painter.drawLine(
                    QtCore.QPointF(src.right(), src.center().y()), QtCore.QPointF(dst.left(), dst.center().y())
                )
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for node_id, rect in rects.items():
            item = views[node_id]
            color = SEVERITY_COLORS.get(getattr(item, "severity", None), getattr(item, "accent", theme.UNKNOWN_COLOR))
            painter.setBrush(theme.qcolor(color, 230))
            centre = rect.center()  # a node of a large graph is under a pixel: keep it visible
            rect.setSize(rect.size().expandedTo(QtCore.QSizeF(MIN_NODE, MIN_NODE)))
            rect.moveCenter(centre)
            painter.drawRect(rect)
        painter.end()
        self._thumbnail = pixmap
        self._follow_view()
        self.update()

    def _to_map(self) -> QtGui.QTransform:
        """Scene coordinates -> this widget's, the graph centred and whole."""
        area = QtCore.QRectF(self.rect()).adjusted(PADDING, PADDING, -PADDING, -PADDING)
        if self.scene_rect.isEmpty():
            return QtGui.QTransform()
        scale = min(area.width() / self.scene_rect.width(), area.height() / self.scene_rect.height())
        offset = area.center() - self.scene_rect.center() * scale
        return QtGui.QTransform(scale, 0, 0, scale, offset.x(), offset.y())

    # -- following the canvas ---------------------------------------------------------------------
    def _follow_view(self) -> None:
        viewer = self.canvas.viewer
        shown = viewer.mapToScene(viewer.viewport().rect()).boundingRect()
        if shown != self.visible_rect:
            self.visible_rect = shown
            self.update()
        wanted = self.enabled and not self.scene_rect.isEmpty() and not shown.contains(self.scene_rect)
        if wanted != self.isVisible():
            self.setVisible(wanted)
        if wanted:
            self._place()

    def _place(self) -> None:
        viewer = self.canvas.viewer
        self.move(viewer.width() - self.width() - MARGIN, viewer.height() - self.height() - MARGIN)
        self.raise_()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QtCore.QEvent.Type.Paint and watched is self.canvas.viewer.viewport():
            self._follow_view()
        elif kind == QtCore.QEvent.Type.Resize and watched is self.canvas.viewer and self.isVisible():
            self._place()
        return super().eventFilter(watched, event)

    # -- drawing and navigating ---------------------------------------------------------------------
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        frame = QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QtGui.QPen(theme.qcolor((70, 76, 92)), 1))
        painter.setBrush(theme.qcolor(MAP_BG))
        painter.drawRect(frame)
        painter.drawPixmap(0, 0, self._thumbnail)
        if not self.visible_rect.isEmpty() and not self.scene_rect.isEmpty():
            shown = self._to_map().mapRect(self.visible_rect).intersected(frame)
            if shown.width() < MIN_OUTLINE or shown.height() < MIN_OUTLINE:  # zoomed far in: still findable
                centre = shown.center()
                shown.setSize(shown.size().expandedTo(QtCore.QSizeF(MIN_OUTLINE, MIN_OUTLINE)))
                shown.moveCenter(centre)
            painter.setPen(QtGui.QPen(theme.qcolor((235, 238, 245)), 1.5))
            painter.setBrush(theme.qcolor((235, 238, 245), 28))
            painter.drawRect(shown)
        painter.end()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._dragging = True
            self.centre_on(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._dragging:
            self.centre_on(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._dragging = False
        event.accept()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 - Qt's name
        event.accept()  # the canvas under the minimap must not zoom instead

    def centre_on(self, point: QtCore.QPointF) -> None:
        """Move the canvas's view, at its zoom, so it is centred where `point` (ours) lies in the scene."""
        inverse, invertible = self._to_map().inverted()
        if not invertible or self.scene_rect.isEmpty():
            return
        viewer = self.canvas.viewer
        centre_view(viewer, inverse.map(QtCore.QPointF(point)), viewer.transform().m11())
