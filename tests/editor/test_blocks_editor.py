"""Blocks in the editor: Make Block (Ctrl+G) collapses the selection into one card (opened, it is a titled
frame), Ungroup dissolves it, Insert Block adds a built-in or library block after the selected node; every one
is one undo step."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

import editor.canvas.blocks as canvas_blocks
from editor.files import EXAMPLES_DIR
from engine.graph.grouping import nodes_in


@pytest.fixture
def residual(make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(canvas_blocks, "library_folder", lambda: tmp_path / "library")
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    return window


def _frame_contains_nodes(window, block_id: str) -> bool:
    frame = window.canvas.frames.frames[block_id].sceneBoundingRect()
    views = window.canvas.node_views()
    return all(frame.contains(views[n].sceneBoundingRect()) for n in nodes_in(window.document.graph, block_id))


def _make_block(window, members: list[str]) -> None:
    window.canvas.select(members)
    window.make_block_action.trigger()


def test_ctrl_g_collapses_the_selection_into_one_card_and_undo_removes_it(residual, qtbot):
    canvas = residual.canvas
    members = ["res_conv1", "res_bn1", "res_relu"]
    canvas.select(members)
    canvas.viewer.setFocus()
    qtbot.keyClick(canvas.viewer, QtCore.Qt.Key.Key_G, QtCore.Qt.KeyboardModifier.ControlModifier)
    graph = residual.document.graph
    assert list(graph.blocks) == ["block1"]
    assert graph.blocks["block1"].nodes == members and graph.blocks["block1"].collapsed is True
    views = canvas.node_views()
    assert "block1" in views and not set(members) & set(views)  # one card, the members are not drawn
    assert canvas.frames.frames == {} and canvas.selected_blocks() == ["block1"]
    assert residual.document.undo_stack.count() == 1  # Make Block is one step
    residual.document.undo_stack.undo()
    assert residual.document.graph.blocks == {} and canvas.block_nodes.nodes == {}
    assert set(members) <= set(canvas.node_views())
    residual.document.undo_stack.redo()
    canvas.frames.open("block1")  # opened, it is drawn as a titled frame around its nodes
    assert canvas.frames.title_of("block1").startswith("block1  (block1)")  # then counts, once the analysis is in
    assert _frame_contains_nodes(residual, "block1")


def test_make_block_shows_the_crossing_ports_shapes_and_parameter_count_on_the_card(residual, qtbot):
    canvas = residual.canvas
    _make_block(residual, ["res_conv1", "res_bn1", "res_relu", "res_conv2"])
    block = canvas.block_nodes.nodes["block1"]
    graph = residual.document.graph
    assert list(block.inputs()) == ["res_conv1.in"] and list(block.outputs()) == ["res_conv2.out"]
    crossing_in = next(e for e in graph.edges if e.dst == "res_conv1")
    crossing_out = next(e for e in graph.edges if e.src == "res_conv2")
    drawn = {(e.src, e.src_port, e.dst, e.dst_port) for e in canvas._canvas_edges()}
    assert (crossing_in.src, crossing_in.src_port, "block1", "res_conv1.in") in drawn
    assert ("block1", "res_conv2.out", crossing_out.dst, crossing_out.dst_port) in drawn
    view = block.view
    assert view.subtitle == "block1 · block of 4 nodes"
    qtbot.waitUntil(lambda: "parameters" in view.footer, timeout=10000)
    assert view.footer == "4,672 parameters"  # conv 16*16*9+16 twice, bn 32
    labels = {(p.output_port.node.name, p.input_port.node.name): p.label.full_text for p in canvas.viewer.all_pipes()}
    assert labels[(crossing_in.src, "block1")] == "B x 16 x 8 x 8"
    assert labels[("block1", crossing_out.dst)] == "B x 16 x 8 x 8"


def test_nested_blocks_and_ungroup(residual):
    canvas = residual.canvas
    _make_block(residual, ["res_conv1", "res_bn1"])
    _make_block(residual, ["res_conv1", "res_conv2", "res_bn2"])  # res_conv1 is drawn as, and stands for, block1
    graph = residual.document.graph
    assert graph.blocks["block2"].blocks == ["block1"] and graph.blocks["block2"].nodes == ["res_conv2", "res_bn2"]
    assert list(canvas.block_nodes.nodes) == ["block2"]  # the outer card holds the inner one
    canvas.frames.open("block2")
    outer = canvas.frames.frames["block2"].sceneBoundingRect()
    assert outer.contains(canvas.node_views()["block1"].sceneBoundingRect())  # block1 still a card inside
    canvas.select(["res_bn1"])  # selects block1's card
    residual.ungroup_action.trigger()
    assert list(residual.document.graph.blocks) == ["block2"]
    assert residual.document.graph.blocks["block2"].nodes == ["res_conv1", "res_bn1", "res_conv2", "res_bn2"]
    assert sorted(canvas.selected_ids()) == ["res_bn1", "res_conv1"]  # what block1 held comes back selected
    canvas.frames.open(None)
    canvas.select(["res_bn2"])  # block2's card
    residual.ungroup_action.trigger()
    assert residual.document.graph.blocks == {} and canvas.block_nodes.nodes == {}
    assert sorted(canvas.selected_ids()) == ["res_bn1", "res_bn2", "res_conv1", "res_conv2"]


def test_a_frame_never_covers_a_node_outside_its_block(residual):
    canvas = residual.canvas
    members = ["res_conv1", "res_bn1", "res_relu", "res_conv2", "res_bn2", "add", "add_relu"]
    canvas.select(members)  # in the example's layout these sit on two rows, with other nodes between
    residual.make_block_action.trigger()
    canvas.frames.open("block1")
    shape = canvas.frames.frames["block1"].path()
    views = canvas.node_views()
    outside = [n for n in residual.document.graph.nodes if n not in members]
    assert [n for n in outside if shape.intersects(views[n].sceneBoundingRect())] == []
    assert all(shape.contains(views[n].sceneBoundingRect()) for n in members)


def test_a_refused_grouping_says_why_in_the_status_bar(residual):
    messages = []
    residual.canvas.message.connect(messages.append)
    residual.canvas.select([])
    residual.make_block_action.trigger()
    residual.ungroup_action.trigger()
    assert messages == ["Select the nodes to group into a block", "The selected nodes are in no block"]
    assert residual.document.graph.blocks == {}


def test_insert_a_builtin_block_after_the_selected_node(residual):
    canvas = residual.canvas
    canvas.select(["stem_relu"])
    block_id = canvas_blocks.insert_builtin(canvas, "conv_bn_relu")
    graph = residual.document.graph
    assert block_id == "cbr1" and graph.blocks["cbr1"].nodes == ["cbr1_conv", "cbr1_bn", "cbr1_relu"]
    assert graph.predecessors("cbr1_conv") == ["stem_relu"]
    xs = [graph.nodes[n].ui["x"] for n in graph.blocks["cbr1"].nodes]
    assert xs == sorted(xs) and xs[0] > graph.nodes["stem_relu"].ui["x"]
    assert _frame_contains_nodes(residual, "cbr1")
    residual.document.undo_stack.undo()
    assert "cbr1" not in residual.document.graph.blocks and "cbr1_conv" not in residual.document.graph.nodes


def test_save_to_library_and_insert_it_from_the_menu(residual, tmp_path):
    canvas = residual.canvas
    canvas.select(["res_conv1", "res_bn1", "res_relu"])
    residual.make_block_action.trigger()
    canvas.select(["res_bn1"])  # selects the block's card
    residual.save_block_action.trigger()
    assert (tmp_path / "library" / "block1.json").is_file()
    menu = residual.insert_block_action.menu()
    menu.aboutToShow.emit()
    titles = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert titles[:4] == ["Conv-BN-ReLU", "Residual block", "MLP block", "Branch and concat"]
    mine = next(a for a in menu.actions() if a.text() == "block1" and a.isEnabled())
    canvas.select(["add_relu"])
    mine.trigger()
    graph = residual.document.graph
    assert "block2" in graph.blocks and graph.predecessors("block2_res_conv1") == ["add_relu"]


def test_the_palette_lists_blocks_filters_them_and_inserts_on_activation(residual):
    palette = residual.palette
    assert palette.block_keys() == [
        "block:builtin:conv_bn_relu",
        "block:builtin:residual",
        "block:builtin:mlp",
        "block:builtin:branch_concat",
    ]
    palette.filter.setText("resid")
    group = palette._blocks_group
    shown = [group.child(i).text(0) for i in range(group.childCount()) if not group.child(i).isHidden()]
    assert shown == ["Residual block"] and not group.isHidden()
    palette.filter.setText("")
    residual.canvas.select(["add_relu"])
    item = next(group.child(i) for i in range(group.childCount()) if group.child(i).text(0) == "Residual block")
    palette.tree.itemActivated.emit(item, 0)
    graph = residual.document.graph
    assert "res1" in graph.blocks and graph.blocks["res1"].collapsed is False
    assert graph.predecessors("res1_conv1") == ["add_relu"]
    residual.canvas.select(["res1_bn1"])
    residual.save_block_action.trigger()
    assert palette.block_keys()[-1] == "block:user:Residual_block"


def _double_click(canvas, qtbot, item) -> None:
    canvas.viewer.centerOn(item)
    spot = canvas.viewer.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseDClick(canvas.viewer.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=spot)


def test_double_click_opens_a_block_with_breadcrumbs_back(residual, qtbot):
    canvas = residual.canvas
    _make_block(residual, ["res_conv1", "res_bn1"])
    _make_block(residual, ["res_conv1", "res_conv2", "res_bn2", "add"])
    frames = canvas.frames
    _double_click(canvas, qtbot, canvas.node_views()["block2"])  # the outer card: block1 is a card inside
    qtbot.waitUntil(lambda: frames.opened == "block2")
    assert frames.opened == "block2" and "block1" in canvas.block_nodes.nodes
    _double_click(canvas, qtbot, canvas.node_views()["block1"])
    qtbot.waitUntil(lambda: frames.opened == "block1")
    assert frames.opened == "block1"
    views = canvas.node_views()
    assert views["res_conv1"].opacity() == 1.0 and views["stem"].opacity() < 0.5
    assert frames.crumbs.isVisible() and "Graph" in frames.crumbs.text() and "block2" in frames.crumbs.text()
    frames.crumbs.linkActivated.emit("block2")  # one step back: block1 folds into its card again
    views = canvas.node_views()
    assert frames.opened == "block2" and views["res_conv2"].opacity() == 1.0 and "res_conv1" not in views
    frames.crumbs.linkActivated.emit("graph")
    views = canvas.node_views()
    assert frames.opened is None and not frames.crumbs.isVisible() and views["stem"].opacity() == 1.0
    assert "res_conv2" not in views and "block2" in views
    frames.open("block1")
    residual.document.undo_stack.undo()  # block1's parent goes; block1 stays open
    assert frames.opened == "block1"
    residual.document.undo_stack.undo()
    assert frames.opened is None and canvas.node_views()["stem"].opacity() == 1.0


def test_a_frame_shows_parameters_problems_and_port_shapes(residual, qtbot):
    canvas = residual.canvas
    canvas.select(["res_conv1", "res_bn1", "res_relu"])
    residual.make_block_action.trigger()
    canvas.frames.open("block1")
    qtbot.waitUntil(lambda: "parameters" in canvas.frames.title_of("block1"), timeout=10000)
    assert canvas.frames.title_of("block1") == "block1  (block1)  ·  2,352 parameters"  # conv 16*16*9+16, bn 32
    tip = canvas.frames.frames["block1"].toolTip()
    assert "in res_conv1.in: B x 16 x 8 x 8" in tip and "out res_relu.out: B x 16 x 8 x 8" in tip
    residual.document.edit("bad", lambda g: g.nodes["res_conv1"].params.update(out_channels=0))
    qtbot.waitUntil(lambda: "problem" in canvas.frames.title_of("block1"), timeout=10000)
    assert "`block1/res_conv1`" in canvas.frames.frames["block1"].toolTip()
