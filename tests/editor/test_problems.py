"""Live analysis: problems appear and disappear as edges are made; shapes on edges; marks on
nodes; the Problems panel selects nodes and applies quick fixes."""

from __future__ import annotations

from editor_ui import drag_connect
from PySide6 import QtCore

from engine.analysis import Problem
from engine.graph import Graph
from engine.registry.fixes import SetParam


def _load(window, graph: Graph) -> None:
    window.document.load(graph, None)


def _unwired() -> Graph:
    graph = Graph(name="unwired")
    graph.add_node("data.Dataset", node_id="data", ui={"x": 0, "y": 0})
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc", ui={"x": 260, "y": 0})
    graph.add_node("losses.CrossEntropy", node_id="loss", ui={"x": 520, "y": 0})
    graph.add_node("optimizers.Adam", node_id="adam", ui={"x": 780, "y": 0})
    return graph


def problem_nodes(window) -> set[str]:
    return {p.node_id for p in window.live.analysis.problems if p.severity == "error"}


def test_problems_appear_and_disappear_as_edges_are_made(window, qtbot):
    _load(window, _unwired())
    assert {"fc", "loss", "adam"} <= problem_nodes(window)
    assert window.canvas.canvas_node("fc").view.severity == "error"
    assert "nothing connected" in window.canvas.hover_text(window.canvas.canvas_node("fc").view)
    assert window.problems.list.count() == len(window.live.analysis.problems)

    drag_connect(window, "data", "x", "fc", "in")
    qtbot.waitUntil(lambda: "fc" not in problem_nodes(window))
    assert window.canvas.canvas_node("fc").view.severity is None
    drag_connect(window, "fc", "out", "loss", "prediction")
    drag_connect(window, "data", "y", "loss", "target")
    drag_connect(window, "loss", "loss", "adam", "losses")
    qtbot.waitUntil(lambda: not window.live.analysis.problems)
    assert window.problems.empty.isVisible() and not window.problems.list.isVisible()
    assert all(c.view.severity is None for c in map(window.canvas.canvas_node, window.document.graph.nodes))
    assert "Ready to train" in window.problem_status.text()

    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: "adam" in problem_nodes(window))
    assert window.canvas.canvas_node("adam").view.severity == "error"


def test_every_edge_shows_its_shape(window):
    window.live.run_now()
    labels = {(p.output_port.node.name, p.input_port.node.name): p.label.text for p in window.canvas.viewer.all_pipes()}
    assert labels[("data", "fc1")] == "B x 64"
    assert labels[("fc1", "relu1")] == "B x 128"
    assert labels[("fc2", "loss")] == "B x 10"
    assert labels[("data", "loss")].startswith("B labels")
    assert all(labels.values())


def test_summary_lists_shapes_and_parameter_counts(window):
    window.live.run_now()
    window.live.wait()
    assert "9,610" in window.summary.total.text()  # the total is kept while the tab is hidden
    window.summary_dock.raise_()  # the table is filled when its tab is shown
    assert window.summary.isVisible()
    assert window.live.counts["fc1"] == 64 * 128 + 128
    assert window.live.counts["fc2"] == 128 * 10 + 10
    rows = {
        window.summary.tree.topLevelItem(i).data(0, 256): window.summary.tree.topLevelItem(i)
        for i in range(window.summary.tree.topLevelItemCount())
    }
    assert rows["fc1"].text(1) == "B x 128"
    assert rows["fc1"].text(2) == "8,320"
    assert window.summary.total_parameters() == 8320 + 1290
    assert "9,610" in window.summary.total.text()


def test_summary_edited_while_hidden_is_current_when_shown(window, qtbot):
    window.summary_dock.raise_()
    window.problems_dock.raise_()  # the summary's tab goes behind
    qtbot.waitUntil(lambda: window.summary.visibleRegion().isEmpty(), timeout=2000)
    window.document.edit("Wider", lambda g: g.nodes["fc1"].params.update(out_features=64))
    window.live.run_now()
    window.summary_dock.raise_()
    rows = {
        window.summary.tree.topLevelItem(i).data(0, 256): window.summary.tree.topLevelItem(i)
        for i in range(window.summary.tree.topLevelItemCount())
    }
    assert rows["fc1"].text(1) == "B x 64"


def test_clicking_a_problem_selects_and_centres_its_node(window, qtbot):
    graph = _unwired()
    _load(window, graph)
    row = next(i for i in range(window.problems.list.count()) if window.problems.row(i).problem.node_id == "adam")
    item = window.problems.list.item(row)
    rect = window.problems.list.visualItemRect(item)
    qtbot.mouseClick(window.problems.list.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.canvas.selected_ids() == ["adam"]
    assert window.properties.node_id == "adam"
    node_centre = window.canvas.canvas_node("adam").view.sceneBoundingRect().center()
    view_centre = window.canvas.viewer.mapToScene(window.canvas.viewer.viewport().rect().center())
    assert abs(node_centre.x() - view_centre.x()) < 20 and abs(node_centre.y() - view_centre.y()) < 20


def test_quick_fix_connects_the_loss_target(window):
    graph = _unwired()
    graph.connect("data", "x", "fc", "in")
    graph.connect("fc", "out", "loss", "prediction")
    graph.connect("loss", "loss", "adam", "losses")
    _load(window, graph)
    index = next(i for i in range(window.problems.list.count()) if window.problems.row(i).problem.fix)
    button = window.problems.row(index).fix_button
    assert button.text() == "Connect data.y to loss.target"
    button.click()
    assert ("data", "y", "loss", "target") in {
        (e.src, e.src_port, e.dst, e.dst_port) for e in window.document.graph.edges
    }
    assert not window.live.analysis.problems
    window.document.undo_stack.undo()
    assert window.live.run_now().problems


def test_quick_fix_inserts_flatten_before_a_linear(window):
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data", ui={"x": 0, "y": 0})
    graph.add_node("layers.Linear", node_id="fc", ui={"x": 260, "y": 0})
    graph.connect("data", "x", "fc", "in")
    _load(window, graph)
    problem = next(p for p in window.live.analysis.problems if p.node_id == "fc")
    assert problem.fix.type_id == "layers.Flatten"
    assert window.canvas.canvas_node("fc").view.severity == "error"
    assert window.apply_quick_fix(problem)
    flatten = next(n for n in window.document.graph.nodes.values() if n.type_id == "layers.Flatten")
    edges = {(e.src, e.dst) for e in window.document.graph.edges}
    assert edges == {("data", flatten.id), (flatten.id, "fc")}
    assert window.live.analysis.specs[("fc", "out")].dims == (64,)
    assert window.document.graph.nodes["fc"].ui["x"] > flatten.ui["x"]  # made room
    assert window.canvas.selected_ids() == [flatten.id]


def test_quick_fix_sets_out_features_of_the_last_linear_and_undoes(window):
    """The "Set out_features" fix used to fail with KeyError: 'out_features' (it was applied to the loss)."""
    graph = _unwired()
    for edge in (("data", "x", "fc", "in"), ("fc", "out", "loss", "prediction"), ("data", "y", "loss", "target")):
        graph.connect(*edge)
    graph.connect("loss", "loss", "adam", "losses")
    graph.nodes["fc"].params["out_features"] = 7
    _load(window, graph)
    index = next(i for i in range(window.problems.list.count()) if window.problems.row(i).problem.fix)
    button = window.problems.row(index).fix_button
    assert button.text() == "Set fc.out_features to 10"
    button.click()
    assert window.document.graph.nodes["fc"].params["out_features"] == 10
    assert not window.live.analysis.problems
    assert "Could not apply" not in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert window.document.graph.nodes["fc"].params["out_features"] == 7
    assert window.live.run_now().errors


def test_a_stale_quick_fix_is_refused_in_the_status_bar(window):
    graph = _unwired()
    _load(window, graph)
    problem = Problem("fc", "Linear", "error", "stale", fix=SetParam("fc", "out_features", 0))
    assert not window.apply_quick_fix(problem)
    assert "Could not apply the fix: cannot set fc.out_features: must be at least 1" in (
        window.statusBar().currentMessage()
    )
    assert window.document.graph.nodes["fc"].params["out_features"] == 10
    assert not window.document.modified
