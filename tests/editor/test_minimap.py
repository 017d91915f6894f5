"""The minimap: shown while the graph does not fit the view, outlines the part on screen, moves the
view where it is clicked or dragged, follows edits, and is toggled from the View menu (remembered)."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from editor.canvas.find import show_readable
from editor.files import EXAMPLES_DIR
from editor.mainwindow import MINIMAP_KEY, MainWindow


@pytest.fixture
def residual(make_window, qtbot):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    qtbot.wait(10)  # the queued fit
    return window


def _view_centre(window) -> QtCore.QPointF:
    viewer = window.canvas.viewer
    return viewer.mapToScene(viewer.viewport().rect().center())


def _paint(window, qtbot) -> None:
    window.canvas.viewer.viewport().repaint()
    qtbot.wait(1)


def test_hidden_while_everything_is_in_view_shown_when_zoomed_in(residual, qtbot):
    window, minimap = residual, residual.minimap
    window.canvas.fit()
    _paint(window, qtbot)
    assert not minimap.isVisible()
    show_readable(window.canvas, "fc1", scale=1.5)
    _paint(window, qtbot)
    assert minimap.isVisible()
    viewer = window.canvas.viewer
    # in the canvas's bottom-right corner, over the canvas
    corner = minimap.geometry().bottomRight()
    assert viewer.rect().contains(minimap.geometry())
    assert viewer.width() - corner.x() < 30 and viewer.height() - corner.y() < 30
    # it covers every node and outlines what the canvas shows
    for view in window.canvas.node_views().values():
        assert minimap.scene_rect.contains(view.sceneBoundingRect())
    shown = viewer.mapToScene(viewer.viewport().rect()).boundingRect()
    assert minimap.visible_rect == shown
    assert shown.contains(window.canvas.canvas_node("fc1").view.sceneBoundingRect().center())


def test_click_and_drag_move_the_view_at_its_zoom(residual, qtbot):
    window, minimap, viewer = residual, residual.minimap, residual.canvas.viewer
    show_readable(window.canvas, "data", scale=1.5)
    _paint(window, qtbot)
    assert minimap.isVisible()
    scale = viewer.transform().m11()
    target = window.canvas.canvas_node("adam").view.sceneBoundingRect().center()
    at = minimap._to_map().map(target).toPoint()
    qtbot.mouseClick(minimap, QtCore.Qt.MouseButton.LeftButton, pos=at)
    assert (_view_centre(window) - target).manhattanLength() < 20  # a thumbnail pixel is several scene units
    assert viewer.transform().m11() == pytest.approx(scale, rel=0.001)
    # dragging follows the mouse
    middle = window.canvas.canvas_node("add").view.sceneBoundingRect().center()
    qtbot.mousePress(minimap, QtCore.Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseMove(minimap, minimap._to_map().map(middle).toPoint())
    assert (_view_centre(window) - middle).manhattanLength() < 20
    qtbot.mouseRelease(minimap, QtCore.Qt.MouseButton.LeftButton, pos=minimap._to_map().map(middle).toPoint())
    _paint(window, qtbot)
    assert minimap.visible_rect.contains(middle)
    assert viewer.transform().m11() == pytest.approx(scale, rel=0.001)


def test_the_thumbnail_follows_edits(residual, qtbot):
    window, minimap = residual, residual.minimap
    show_readable(window.canvas, "data", scale=1.5)
    _paint(window, qtbot)
    before = QtCore.QRectF(minimap.scene_rect)
    window.document.edit("Move", lambda g: g.nodes["adam"].ui.update(x=before.right() + 2000, y=before.top()))
    qtbot.waitUntil(lambda: minimap.scene_rect.right() > before.right() + 1900, timeout=2000)
    window.document.edit("Delete", lambda g: g.remove_node("adam"))
    qtbot.waitUntil(lambda: minimap.scene_rect.right() < before.right() + 10, timeout=2000)


def test_view_menu_toggle_hides_it_and_is_remembered(residual, qtbot, tmp_path):
    window, minimap = residual, residual.minimap
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggle = next(a for a in view_menu.actions() if a.text() == "&Minimap")
    assert toggle.isCheckable() and toggle.isChecked()
    show_readable(window.canvas, "fc1", scale=1.5)
    _paint(window, qtbot)
    assert minimap.isVisible()
    toggle.trigger()
    _paint(window, qtbot)
    assert not minimap.isVisible() and not toggle.isChecked()
    assert window.settings.value(MINIMAP_KEY, True, type=bool) is False
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    second = MainWindow(settings=settings, recovery_path=tmp_path / "recovery2.json", analysis_delay_ms=0)
    try:
        assert not second.minimap_action.isChecked() and not second.minimap.enabled
    finally:
        second.shutdown()
        second.close()
        second.canvas.close()
    toggle.trigger()
    _paint(window, qtbot)
    assert minimap.isVisible()
