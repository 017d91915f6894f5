"""Find (Ctrl+F): matches ids, titles and types; each match is selected and shown readable;
Enter/F3 cycle, Shift goes back; a search that finds nothing says so and moves nothing."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from editor.canvas.find import READABLE_SCALE, find_nodes
from editor.files import EXAMPLES_DIR
from engine.graph import load_graph
from engine.registry import catalog

Key = QtCore.Qt.Key


@pytest.fixture
def residual(make_window):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    window.canvas.fit()
    return window


def test_matches_ids_titles_and_types_exact_id_first_any_case():
    graph = load_graph(EXAMPLES_DIR / "cnn_residual_digits.json")
    registry = catalog()
    assert find_nodes(graph, registry, "ADD") == ["add", "add_relu"]  # the exact id, then ids starting with it
    # by title: "Batch Norm" is no id; by type id: merge.Add
    assert find_nodes(graph, registry, "batchnorm") == ["stem_bn", "res_bn1", "res_bn2"]
    assert find_nodes(graph, registry, "merge.") == ["add"]
    assert find_nodes(graph, registry, "relu") == ["stem_relu", "res_relu", "add_relu"]
    assert find_nodes(graph, registry, "  ") == []
    assert find_nodes(graph, registry, "transformer") == []


def _centre_of_view(window) -> QtCore.QPointF:
    viewer = window.canvas.viewer
    return viewer.mapToScene(viewer.viewport().rect().center())


def test_ctrl_f_selects_each_match_in_turn_and_zooms_to_a_readable_scale(residual, qtbot):
    window, viewer = residual, residual.canvas.viewer
    viewer.set_zoom(-0.7)  # far out: titles unreadable
    assert viewer.transform().m11() < 0.5
    viewer.setFocus()
    qtbot.keyClick(viewer, Key.Key_F, QtCore.Qt.KeyboardModifier.ControlModifier)
    bar = window.find_bar
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "conv")
    assert bar.matches == ["stem", "res_conv1", "res_conv2"]  # Conv2d by type
    assert window.canvas.selected_ids() == ["stem"]
    assert window.properties.node_id == "stem"
    assert viewer.transform().m11() == pytest.approx(READABLE_SCALE, rel=0.002)
    node_centre = window.canvas.canvas_node("stem").view.sceneBoundingRect().center()
    assert (_centre_of_view(window) - node_centre).manhattanLength() < 3
    assert bar.status.text() == "1 of 3 matches"

    qtbot.keyClick(bar.field, Key.Key_Return)
    assert window.canvas.selected_ids() == ["res_conv1"]
    node_centre = window.canvas.canvas_node("res_conv1").view.sceneBoundingRect().center()
    assert (_centre_of_view(window) - node_centre).manhattanLength() < 3
    qtbot.keyClick(bar.field, Key.Key_F3)
    assert window.canvas.selected_ids() == ["res_conv2"]
    qtbot.keyClick(bar.field, Key.Key_Return)  # wraps round
    assert window.canvas.selected_ids() == ["stem"]
    qtbot.keyClick(bar.field, Key.Key_Return, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert window.canvas.selected_ids() == ["res_conv2"] and bar.status.text() == "3 of 3 matches"


def test_a_closer_view_is_kept_and_escape_gives_the_canvas_its_keys_back(residual, qtbot):
    window, viewer = residual, residual.canvas.viewer
    window.find_action.trigger()
    view = viewer.viewport().rect()
    viewer.frame(QtCore.QRectF(0, 0, view.width() / 1.6, view.height() / 1.6), margin=0, max_scale=1.6)
    closer = viewer.transform().m11()
    assert closer > READABLE_SCALE * 1.2
    qtbot.keyClicks(window.find_bar.field, "fc1")
    assert window.canvas.selected_ids() == ["fc1"]
    assert viewer.transform().m11() == pytest.approx(closer, rel=0.002)  # never zooms out, never drifts
    qtbot.keyClick(window.find_bar.field, Key.Key_Escape)
    assert not window.find_bar.isVisible()
    assert viewer.hasFocus()


def test_nothing_found_is_said_and_moves_nothing(residual, qtbot):
    window, viewer = residual, residual.canvas.viewer
    window.find_action.trigger()
    qtbot.keyClicks(window.find_bar.field, "trans")  # "t" and "tr" still found nodes on the way
    selected, centre, scale = window.canvas.selected_ids(), _centre_of_view(window), viewer.transform().m11()
    assert len(selected) == 1
    qtbot.keyClicks(window.find_bar.field, "former")
    assert window.find_bar.matches == []
    assert "No node matches" in window.find_bar.status.text()
    assert "transformer" in window.find_bar.status.toolTip()
    qtbot.keyClick(window.find_bar.field, Key.Key_Return)
    qtbot.keyClick(window.find_bar.field, Key.Key_F3)
    assert window.canvas.selected_ids() == selected
    assert (_centre_of_view(window) - centre).manhattanLength() < 1
    assert viewer.transform().m11() == pytest.approx(scale)


def test_matches_follow_edits_and_f3_reopens_the_last_search(residual, qtbot):
    window = residual
    window.find_action.trigger()
    qtbot.keyClicks(window.find_bar.field, "res_bn")
    assert window.find_bar.matches == ["res_bn1", "res_bn2"]
    window.document.edit("Rename", lambda g: g.rename_node("res_bn2", "bn_late"))
    assert window.find_bar.matches == ["res_bn1"]
    assert window.find_bar.status.text() == "1 of 1 match"
    window.find_bar.close_bar()
    window.find_next_action.trigger()  # F3 with the bar closed
    assert window.find_bar.isVisible() and window.canvas.selected_ids() == ["res_bn1"]


def test_find_is_in_the_edit_menu_with_its_keys(residual):
    edit_menu = next(a.menu() for a in residual.menuBar().actions() if a.text() == "&Edit")
    actions = {a.text(): a for a in edit_menu.actions()}
    assert actions["&Find Node…"].shortcut().matches(QtCore.Qt.Key.Key_F | QtCore.Qt.Modifier.CTRL)
    assert actions["Find &Next"].shortcut().toString() == "F3"
    assert actions["Find Pre&vious"].shortcut().toString() == "Shift+F3"
