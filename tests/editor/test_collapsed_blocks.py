"""Collapsed blocks on the canvas: one node whose ports are the edges crossing the block's boundary, with the
block's title, shapes, problems and parameter count; Make Block draws one at once, double-click opens it,
Expand and Collapse flip it; undo, redo, save and load keep it."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

import editor.canvas.blocks as canvas_blocks
from editor.files import EXAMPLES_DIR
from engine.graph.fileformat import load_graph

MEMBERS = ["res_conv1", "res_bn1", "res_relu"]


@pytest.fixture
def residual(make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(canvas_blocks, "library_folder", lambda: tmp_path / "library")
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    window.canvas.select(MEMBERS)
    window.make_block_action.trigger()
    return window


def _drawn_edges(canvas) -> set[tuple[str, str, str, str]]:
    return {(e.src, e.src_port, e.dst, e.dst_port) for e in canvas._canvas_edges()}


def test_make_block_draws_one_node_whose_ports_are_the_crossing_edges(residual):
    canvas = residual.canvas
    graph = residual.document.graph
    assert graph.blocks["block1"].collapsed is True
    block = canvas.block_nodes.nodes["block1"]
    assert list(block.inputs()) == ["res_conv1.in"]
    assert list(block.outputs()) == ["res_relu.out"]
    views = canvas.node_views()
    assert not set(MEMBERS) & set(views) and "block1" in views  # members are not drawn, the block is
    assert "block1" not in canvas.frames.frames
    assert canvas.selected_blocks() == ["block1"]
    edges = _drawn_edges(canvas)
    feeding = [e for e in graph.edges if e.dst == "res_conv1"]
    assert (feeding[0].src, feeding[0].src_port, "block1", "res_conv1.in") in edges
    assert not any(e[0] in MEMBERS or e[2] in MEMBERS for e in edges)
    # the block sits where its nodes were (top left), so expanding puts them back around it
    xs = [graph.nodes[n].ui["x"] for n in MEMBERS]
    assert block.pos()[0] == min(xs)


def test_expand_collapse_undo_and_redo(residual):
    canvas, stack = residual.canvas, residual.document.undo_stack
    canvas.select_blocks(["block1"])
    residual.expand_block_action.trigger()
    assert residual.document.graph.blocks["block1"].collapsed is False
    assert sorted(canvas.selected_ids()) == sorted(MEMBERS)
    assert canvas.block_nodes.nodes == {} and "block1" in canvas.frames.frames
    canvas.select(["res_bn1"])
    residual.collapse_block_action.trigger()
    assert residual.document.graph.blocks["block1"].collapsed is True and canvas.selected_blocks() == ["block1"]
    stack.undo()
    assert residual.document.graph.blocks["block1"].collapsed is False
    assert canvas.block_nodes.nodes == {} and set(MEMBERS) <= set(canvas.node_views())
    assert "block1" in canvas.frames.frames
    stack.redo()
    assert "block1" in canvas.block_nodes.nodes and "res_conv1" not in canvas.node_views()


def test_a_collapsed_block_shows_title_shapes_problems_and_parameters(residual, qtbot):
    canvas = residual.canvas
    residual.document.edit("title", lambda g: setattr(g.blocks["block1"], "title", "Residual half"))
    view = canvas.block_nodes.nodes["block1"].view
    assert view.title == "Residual half" and view.subtitle.startswith("block1")
    qtbot.waitUntil(lambda: "parameters" in view.footer, timeout=10000)
    assert view.footer == "2,352 parameters" and view.severity is None
    labels = {
        (p.output_port.node.name, p.input_port.node.name): p.label.full_text
        for p in canvas.viewer.all_pipes()
        if hasattr(p, "label")
    }
    assert "B x 16 x 8 x 8" in {text for (src, dst), text in labels.items() if dst == "block1"}
    assert "B x 16 x 8 x 8" in {text for (src, dst), text in labels.items() if src == "block1"}
    tip = canvas.hover_text(view)
    assert "in <code>res_conv1.in</code>: B x 16 x 8 x 8" in tip and "2,352 parameters" in tip
    residual.document.edit("bad", lambda g: g.nodes["res_conv1"].params.update(out_channels=0))
    qtbot.waitUntil(lambda: view.severity == "error", timeout=10000)
    assert "problem" in view.footer and "block1/res_conv1" in canvas.hover_text(view)


def test_double_click_opens_a_collapsed_block_and_the_breadcrumb_folds_it_again(residual, qtbot):
    canvas = residual.canvas
    residual.live.run_now()
    view = canvas.block_nodes.nodes["block1"].view
    spot = canvas.viewer.mapFromScene(view.sceneBoundingRect().center())
    canvas.viewer.centerOn(view)
    spot = canvas.viewer.mapFromScene(view.sceneBoundingRect().center())
    qtbot.mouseDClick(canvas.viewer.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=spot)
    frames = canvas.frames
    qtbot.waitUntil(lambda: frames.opened == "block1")  # opened once the click's events are done (it deletes the card)
    assert frames.crumbs.isVisible()
    views = canvas.node_views()
    assert set(MEMBERS) <= set(views) and "block1" not in canvas.block_nodes.nodes
    assert views["res_conv1"].opacity() == 1.0 and views["stem"].opacity() < 0.5
    assert residual.document.graph.blocks["block1"].collapsed is True  # opening is a view, not an edit
    inside = {(p.output_port.node.name, p.input_port.node.name): p.label.full_text for p in canvas.viewer.all_pipes()}
    assert inside[("res_conv1", "res_bn1")] == "B x 16 x 8 x 8"  # the last analysis, shown on the edges drawn now
    frames.crumbs.linkActivated.emit("graph")
    assert frames.opened is None and "block1" in canvas.block_nodes.nodes
    assert "res_conv1" not in canvas.node_views() and canvas.node_views()["stem"].opacity() == 1.0


def test_moving_a_collapsed_block_moves_its_nodes(residual):
    canvas, graph = residual.canvas, residual.document.graph
    before = {n: (graph.nodes[n].ui["x"], graph.nodes[n].ui["y"]) for n in MEMBERS}
    item = canvas.block_nodes.nodes["block1"].view
    x, y = item.xy_pos
    item.xy_pos = [x + 100, y + 40]
    canvas._on_nodes_moved({item: (x, y)})
    graph = residual.document.graph
    for n in MEMBERS:
        assert (graph.nodes[n].ui["x"], graph.nodes[n].ui["y"]) == (before[n][0] + 100, before[n][1] + 40)
    residual.document.undo_stack.undo()
    assert residual.document.graph.nodes["res_conv1"].ui["x"] == before["res_conv1"][0]


def test_connecting_to_a_block_port_connects_the_member(residual):
    canvas = residual.canvas
    graph = residual.document.graph
    edge = next(e for e in graph.edges if e.dst == "res_conv1")
    block = canvas.block_nodes.nodes["block1"]
    in_view = block.inputs()["res_conv1.in"].view
    out_view = canvas.canvas_node(edge.src).outputs()[edge.src_port].view
    canvas._on_connection_changed([(out_view, in_view)], [])  # the user drags the wire off the block's port
    assert edge not in residual.document.graph.edges
    residual.document.undo_stack.undo()
    assert edge in residual.document.graph.edges


def test_save_and_load_keep_a_collapsed_block(residual, make_window, tmp_path):
    path = tmp_path / "collapsed.json"
    assert residual.files._write(path)
    assert load_graph(path).blocks["block1"].collapsed is True
    other = make_window()
    assert other.files.load_path(path, remember=False)
    assert "block1" in other.canvas.block_nodes.nodes and "res_conv1" not in other.canvas.node_views()
    assert _drawn_edges(other.canvas) == _drawn_edges(residual.canvas)


def test_delete_a_collapsed_block_removes_its_nodes_in_one_undo_step(residual):
    canvas = residual.canvas
    canvas.select_blocks(["block1"])
    canvas.delete_selected()
    graph = residual.document.graph
    assert "block1" not in graph.blocks and not set(MEMBERS) & set(graph.nodes)
    residual.document.undo_stack.undo()
    assert "block1" in residual.canvas.block_nodes.nodes and set(MEMBERS) <= set(residual.document.graph.nodes)


def test_selecting_a_node_inside_a_collapsed_block_selects_the_block(residual):
    canvas = residual.canvas
    canvas.select(["res_bn1", "stem"])
    assert canvas.selected_blocks() == ["block1"] and canvas.selected_ids() == ["stem"]


def test_a_selected_block_shows_what_it_holds_in_properties_and_its_buttons_open_and_ungroup(residual, qtbot):
    from PySide6 import QtWidgets

    residual.live.run_now()
    residual.live.wait()
    residual.canvas.select_blocks(["block1"])
    properties = residual.properties
    assert properties.block_id == "block1" and properties.node_id is None
    details = properties.block_details.text()
    assert "3 nodes" in details and "parameters" in details and "res_conv1.in" in details
    buttons = {b.text(): b for b in properties.widget().findChildren(QtWidgets.QPushButton)}
    buttons["Open block"].click()
    assert residual.canvas.frames.opened == "block1"
    residual.canvas.frames.open(None)
    residual.canvas.select_blocks(["block1"])
    {b.text(): b for b in properties.widget().findChildren(QtWidgets.QPushButton)}["Ungroup"].click()
    assert "block1" not in residual.document.graph.blocks
    assert properties.block_id is None  # back to a node's (or the graph's) form
