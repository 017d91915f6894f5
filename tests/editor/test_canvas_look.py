"""What the canvas shows: frozen layers look frozen, no stray NodeGraphQt text over our drawing."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from editor.files import EXAMPLES_DIR


def _render(item) -> QtGui.QImage:
    rect = item.boundingRect()
    image = QtGui.QImage(int(rect.width()) + 2, int(rect.height()) + 2, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.black)
    painter = QtGui.QPainter(image)
    item.paint(painter, None, None)
    painter.end()
    return image


def _brightness(image: QtGui.QImage) -> float:
    total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            total += QtGui.QColor(image.pixel(x, y)).lightness()
    return total


def test_a_frozen_layer_is_dimmed_and_tagged(window):
    view = window.canvas.canvas_node("fc1").view
    assert not view.frozen
    normal = _render(view)
    window.document.edit("Freeze", lambda g: g.nodes["fc1"].params.__setitem__("trainable", False))
    assert view.frozen
    frozen = _render(view)
    assert frozen != normal
    assert _brightness(frozen) < _brightness(normal)  # the dimmed body outweighs the small tag
    window.document.undo_stack.undo()
    assert not view.frozen


def test_the_transfer_example_shows_its_frozen_layers(make_window):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "transfer_digits.json", remember=False)
    graph = window.document.graph
    frozen = {n for n, node in graph.nodes.items() if node.params.get("trainable") is False}
    assert frozen
    shown = {n for n in graph.nodes if window.canvas.canvas_node(n).view.frozen}
    assert shown == frozen


def test_no_ghost_name_text_after_zooming_out_and_in(window):
    views = [window.canvas.canvas_node(n).view for n in window.document.graph.nodes]
    for view in views:
        view.set_proxy_mode(True)  # what NodeGraphQt does when a node is drawn tiny
    for view in views:
        view.set_proxy_mode(False)
    assert not any(view._text_item.isVisible() or view._icon_item.isVisible() for view in views)


def test_no_modifier_hint_left_on_the_canvas(window, qtbot):
    viewer = window.canvas.viewer
    viewer.setFocus()
    # Ctrl goes down on the canvas; its release goes to whatever a shortcut opened
    qtbot.keyPress(viewer, QtCore.Qt.Key.Key_Control, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert not viewer._cursor_text.isVisible()
    window.palette.filter.setFocus()  # focus left without a key release
    assert not viewer.CTRL_state


def test_a_click_after_a_lost_ctrl_release_still_selects(window, qtbot):
    viewer = window.canvas.viewer
    viewer.CTRL_state = True  # a Ctrl+S whose key release went to the save dialog
    window.canvas.select([])
    centre = viewer.mapFromScene(window.canvas.canvas_node("fc1").view.sceneBoundingRect().center())
    qtbot.mouseClick(viewer.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=centre)
    assert window.canvas.selected_ids() == ["fc1"]
