"""Hover texts are written when the scene asks for a tooltip, from the latest analysis: what a
user hovering a node or port reads is current after every edit, without rewriting 1,600 texts
per edit."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


def _hover(window, item: QtWidgets.QGraphicsItem) -> str:
    """What the scene shows for a hover over the middle of `item`, as the real help event does."""
    scene = window.canvas.viewer.scene()
    event = QtWidgets.QGraphicsSceneHelpEvent(QtCore.QEvent.Type.GraphicsSceneHelp)
    event.setScenePos(item.sceneBoundingRect().center())
    event.setScreenPos(QtCore.QPoint(10, 10))
    QtWidgets.QApplication.sendEvent(scene, event)
    QtWidgets.QToolTip.hideText()
    document = QtGui.QTextDocument()
    document.setHtml(item.toolTip())
    return document.toPlainText()


def test_hovering_a_node_and_a_port_shows_the_current_analysis(window):
    window.live.run_now()
    window.live.wait()
    fc1 = window.canvas.canvas_node("fc1")
    assert "Output: B x 128" in _hover(window, fc1.view)
    assert "Shape now: B x 128" in _hover(window, fc1.outputs()["out"].view)
    window.document.edit("Narrower", lambda g: g.nodes["fc1"].params.update(out_features=32))
    window.live.run_now()
    assert "Output: B x 32" in _hover(window, fc1.view)
    assert "Shape now: B x 32" in _hover(window, fc1.outputs()["out"].view)
    assert "Gets B x 32 from fc1.out" in _hover(window, window.canvas.canvas_node("relu1").inputs()["in"].view)


def test_items_that_are_not_nodes_or_ports_have_no_hover_text_of_ours(window):
    window.live.run_now()
    pipe = next(iter(window.canvas.viewer.all_pipes()))
    assert window.canvas.hover_text(pipe) is None
