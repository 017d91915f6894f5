"""Edges that show the tensor shape they carry, and the viewer that creates them."""

from __future__ import annotations

from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme

LABEL_FONT = QtGui.QFont()
LABEL_FONT.setPointSizeF(8.0)
LABEL_GAP = 13.0  # between the direction arrow at the middle of the edge and the label


class ShapeLabel(QtWidgets.QGraphicsItem):
    """A small rounded tag with the edge's tensor shape (`B x 16 x 4 x 4`)."""

    def __init__(self, parent: QtWidgets.QGraphicsItem):
        super().__init__(parent)
        self.text = ""
        self.error = False
        self._rect = QtCore.QRectF()
        self.setZValue(2)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)

    def set_text(self, text: str, error: bool = False) -> None:
        if (text, error) == (self.text, self.error):
            return
        self.prepareGeometryChange()
        self.text, self.error = text, error
        width = QtGui.QFontMetricsF(LABEL_FONT).horizontalAdvance(text) + 10
        self._rect = QtCore.QRectF(-width / 2, -18, width, 18) if text else QtCore.QRectF()
        self.setVisible(bool(text))
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect

    def paint(self, painter, option, widget=None):
        if not self.text:
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

    def set_shape_text(self, text: str, error: bool = False) -> None:
        self.label.set_text(text, error)
        self._place_label()

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        super().draw_path(start_port, end_port, cursor_pos)
        self._place_label()

    def _place_label(self) -> None:
        path = self.path()
        if path.isEmpty():
            return
        middle = path.pointAtPercent(0.5)
        # above the arrow, so the arrow and the text never overlap
        self.label.setPos(middle.x(), middle.y() - LABEL_GAP + 4)


class CanvasViewer(NodeViewer):
    """NodeGraphQt's viewer, creating shape-labelled pipes; Tab asks for the quick-add box."""

    tab_pressed = QtCore.Signal()

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

    def focusOutEvent(self, event):
        self.ALT_state = self.CTRL_state = self.SHIFT_state = False
        self._cursor_text.setVisible(False)
        super().focusOutEvent(event)

    def establish_connection(self, start_port, end_port):
        pipe = ShapePipeItem()
        self.scene().addItem(pipe)
        pipe.set_connections(start_port, end_port)
        pipe.color = (*theme.EDGE, 255)
        pipe.reset()
        pipe.draw_path(pipe.input_port, pipe.output_port)
        if start_port.node.selected or end_port.node.selected:
            pipe.highlight()
        if not start_port.node.visible or not end_port.node.visible:
            pipe.hide()

    def frame(self, rect: QtCore.QRectF, margin: float = 30.0, max_scale: float = 1.0) -> None:
        """Show `rect` (scene coordinates) whole, never zooming in past `max_scale`."""
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
