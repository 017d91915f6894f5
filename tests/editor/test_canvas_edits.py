"""Canvas edits a user makes: where new nodes land, and deleting a node out of a chain."""

from __future__ import annotations

import itertools

from PySide6 import QtCore

from editor import graph_ops
from editor.files import EXAMPLES_DIR
from engine.analysis import analyze
from engine.graph import Edge, dumps_graph


def _rects(window) -> dict[str, QtCore.QRectF]:
    return {n: window.canvas.canvas_node(n).view.sceneBoundingRect() for n in window.document.graph.nodes}


def _assert_no_overlap(window) -> None:
    rects = _rects(window)
    for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
        assert not ra.intersects(rb), f"{a} {ra} overlaps {b} {rb}"


def test_nodes_added_at_the_same_spot_never_stack(window):
    canvas = window.canvas
    fc1 = canvas.canvas_node("fc1").view.sceneBoundingRect().center()
    added = [canvas.add_node("layers.Linear", fc1) for _ in range(4)]
    assert all(added)
    _assert_no_overlap(window)
    # near where it was asked for: within a few node sizes of fc1
    for node_id in added:
        centre = canvas.canvas_node(node_id).view.sceneBoundingRect().center()
        assert (centre - fc1).manhattanLength() < 700


def test_palette_double_click_lands_in_free_space(window, qtbot):
    canvas = window.canvas
    canvas.viewer.centerOn(canvas.canvas_node("relu1").view)  # the view's centre is on a node
    qtbot.wait(10)
    before = set(window.document.graph.nodes)
    item = window.palette.item_for("activations.ReLU")
    window.palette.tree.itemActivated.emit(item, 0)
    (new,) = set(window.document.graph.nodes) - before
    _assert_no_overlap(window)
    assert canvas.selected_ids() == [new]


def test_paste_and_duplicate_land_beside_not_on_top(window):
    canvas, document = window.canvas, window.document
    canvas.select(["fc1", "relu1", "drop1"])
    canvas.duplicate_selected()
    duplicated = canvas.selected_ids()
    assert len(duplicated) == 3
    _assert_no_overlap(window)
    assert canvas.copy_selected()
    for _ in range(3):
        canvas.paste()
    assert len(document.graph.nodes) == 7 + 4 * 3
    _assert_no_overlap(window)
    # a duplicate stays near its original
    fc1 = graph_ops.position(document.graph, "fc1")
    # the selection's order is the scene's, not the originals': find fc1's copy by its type
    fc1_copy = next(n for n in duplicated if document.graph.nodes[n].type_id == "layers.Linear")
    copy = graph_ops.position(document.graph, fc1_copy)
    assert abs(copy[0] - fc1[0]) + abs(copy[1] - fc1[1]) < 600


def test_free_offset_keeps_a_free_spot_and_moves_off_an_occupied_one(window):
    graph = window.document.graph.copy()
    graph_ops.add_node(graph, "layers.Linear", 5000.0, 5000.0)
    lone = [n for n in graph.nodes if graph_ops.position(graph, n) == (5000.0, 5000.0)]
    assert graph_ops.free_offset(graph, lone, (0.0, 0.0)) == (0.0, 0.0)
    new_id = graph_ops.add_node(graph, "layers.Linear", *graph_ops.position(graph, "fc1"))
    assert graph_ops.free_offset(graph, [new_id], (0.0, 0.0)) != (0.0, 0.0)


def test_ctrl_delete_removes_a_node_from_a_chain_and_reconnects(window, qtbot):
    canvas, document = window.canvas, window.document
    before = dumps_graph(document.graph)
    canvas.select(["relu1"])
    canvas.viewer.setFocus()
    qtbot.keyClick(canvas.viewer, QtCore.Qt.Key.Key_Delete, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert "relu1" not in document.graph.nodes
    assert Edge("fc1", "out", "drop1", "in") in document.graph.edges
    assert not analyze(document.graph).errors
    assert "connected fc1.out -> drop1.in" in window.statusBar().currentMessage()
    document.undo_stack.undo()
    assert dumps_graph(document.graph) == before


def test_delete_and_reconnect_keeps_apart_what_the_shapes_forbid(make_window):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_digits.json", remember=False)
    canvas, document = window.canvas, window.document
    canvas.select(["flatten"])
    window.delete_reconnect_action.trigger()
    # bypassing Flatten would feed a 4-D tensor to the Linear layer: left unconnected
    assert "flatten" not in document.graph.nodes
    assert not [e for e in document.graph.edges if e.dst == "drop1"]
    assert "nothing could be reconnected" in window.statusBar().currentMessage()


def test_delete_and_reconnect_of_a_whole_run_of_nodes(window):
    graph = window.document.graph.copy()
    bridges = graph_ops.delete_and_reconnect(graph, ["relu1", "drop1"])
    # relu1 goes first (fc1 -> drop1), then drop1 takes that bridge with it: fc1 -> fc2 remains
    assert bridges == [Edge("fc1", "out", "fc2", "in")]
    assert Edge("fc1", "out", "fc2", "in") in graph.edges
    assert not analyze(graph).errors


def test_context_menu_offers_delete_and_reconnect_with_its_shortcut(window):
    window.canvas.select(["relu1"])
    menu = window.canvas_menu()
    assert window.delete_reconnect_action in menu.actions()
    assert window.delete_reconnect_action.shortcut().toString() == "Ctrl+Del"
    menu.close()
    menu.deleteLater()
