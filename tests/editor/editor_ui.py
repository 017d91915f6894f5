"""Driving the canvas with the mouse, the way a user does."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest


def port_point(window, node_id: str, port: str, output: bool) -> QtCore.QPoint:
    """Viewport coordinates of a port's centre."""
    canvas_node = window.canvas.canvas_node(node_id)
    item = (canvas_node.outputs() if output else canvas_node.inputs())[port].view
    centre = item.sceneBoundingRect().center()
    return window.canvas.viewer.mapFromScene(centre)


def drag_connect(window, src: str, src_port: str, dst: str, dst_port: str) -> None:
    """Press on an output port, move, release on an input port."""
    viewport = window.canvas.viewer.viewport()
    start = port_point(window, src, src_port, True)
    end = port_point(window, dst, dst_port, False)
    QTest.mousePress(viewport, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, start)
    middle = (start + end) / 2
    for point in (middle, end):
        event = QtGui.QMouseEvent(
            QtCore.QEvent.Type.MouseMove,
            QtCore.QPointF(point),
            QtCore.QPointF(viewport.mapToGlobal(point)),
            QtCore.Qt.MouseButton.NoButton,
            QtCore.Qt.MouseButton.LeftButton,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
    QTest.mouseRelease(viewport, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, end)


def drop_from_palette(window, type_id: str, view_point: QtCore.QPoint) -> None:
    """Drop a palette entry on the canvas (the mime data the palette's drag carries)."""
    palette = window.palette
    mime = palette.tree.mimeData([palette.item_for(type_id)])
    viewport = window.canvas.viewer.viewport()
    actions = QtCore.Qt.DropAction.CopyAction
    buttons, mods = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    point = QtCore.QPointF(view_point)
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDragEnterEvent(view_point, actions, mime, buttons, mods))
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDragMoveEvent(view_point, actions, mime, buttons, mods))
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDropEvent(point, actions, mime, buttons, mods))


def set_spin(qtbot, spin: QtWidgets.QAbstractSpinBox, text: str) -> None:
    """Type into a spin box and press Enter, as a user does."""
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), QtCore.Qt.Key.Key_Return)
