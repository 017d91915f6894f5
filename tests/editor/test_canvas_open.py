"""Opening a graph: canvas nodes are built without NodeGraphQt's per-node undo command and signals, yet are the
same nodes `create_node` makes; shape labels wait for a scale at which they are painted."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from editor import theme
from editor.canvas.find import show_readable
from editor.canvas.node_classes import add_canvas_node, canvas_type
from editor.canvas.pipes import LABEL_MIN_ZOOM
from editor.files import EXAMPLES_DIR


def _described(canvas_node) -> dict:
    model = dict(canvas_node.model.to_dict[canvas_node.id])
    view = dict(canvas_node.view._properties)
    for described in (model, view):
        described.pop("id", None)
    # NodeGraphQt notes the size once, when the node enters the scene: before its texts, for `create_node`
    assert model.pop("width") <= canvas_node.view.width and model.pop("height") <= canvas_node.view.height
    return {
        "model": model,
        "view": view,
        "inputs": {n: (p.view.multi_connection, p.view.scenePos()) for n, p in canvas_node.inputs().items()},
        "outputs": {n: (p.view.multi_connection, p.view.scenePos()) for n, p in canvas_node.outputs().items()},
        "size": (canvas_node.view.width, canvas_node.view.height),
        "pos": canvas_node.view.xy_pos,
    }


def test_a_node_built_for_opening_equals_the_one_nodegraphqt_creates(window):
    canvas = window.canvas
    graph, registry = canvas.node_graph, canvas.registry
    identifier = canvas_type(registry.get("layers.Conv2d"))
    color = (*theme.TEXT_DIM, 255)
    theirs = graph.create_node(
        identifier, name="theirs", selected=False, text_color=color, pos=(40, 80), push_undo=False
    )
    theirs.view.set_texts("Conv2d", "same", "out_channels 16")
    ours = add_canvas_node(graph, identifier, "ours", (40.0, 80.0), color, ("Conv2d", "same", "out_channels 16"))
    described_theirs, described_ours = _described(theirs), _described(ours)
    assert described_ours["model"].pop("name") == "ours" and described_theirs["model"].pop("name") == "theirs"
    assert described_ours["view"].pop("name") == "ours" and described_theirs["view"].pop("name") == "theirs"
    assert described_ours == described_theirs
    assert (ours.model.width, ours.model.height) == (ours.view.width, ours.view.height)  # noted after its texts
    assert graph.get_node_by_name("ours") is ours and ours.view.scene() is canvas.viewer.scene()
    assert graph.undo_stack().count() == 0


def test_labels_wait_for_a_readable_scale_then_are_placed(window, qtbot):
    canvas, viewer = window.canvas, window.canvas.viewer
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    window.live.run_now()
    viewer.frame(QtCore.QRectF(0, 0, 60000, 40000))  # far out: labels are not painted
    qtbot.wait(20)
    assert viewer.transform().m11() < LABEL_MIN_ZOOM
    viewer.labels.flush()
    canvas.auto_layout()  # every edge redrawn: every label asks to be placed again
    canvas.viewer.frame(QtCore.QRectF(0, 0, 60000, 40000))
    viewer.viewport().repaint()
    qtbot.wait(50)
    assert len(viewer.labels.pending) > 10  # asked, not placed: nothing would show them
    viewer.frame(canvas.node_views()["stem"].sceneBoundingRect())  # zoomed in to one node
    qtbot.wait(20)
    viewer.viewport().repaint()  # a pipe painted at a readable scale asks for them
    qtbot.waitUntil(lambda: not viewer.labels.pending, timeout=5000)
    placed = [p for p in viewer.all_pipes() if getattr(p, "label", None) is not None and p.label.isVisible()]
    assert placed


def _shown(viewer) -> QtCore.QRectF:
    return viewer.mapToScene(viewer.viewport().rect()).boundingRect()


def test_a_fitted_graph_stays_fitted_while_the_window_takes_its_size_until_the_user_zooms(window, qtbot):
    canvas, viewer = window.canvas, window.canvas.viewer
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)  # wider than a window
    window.resize(500, 400)  # a provisional size, as before the window is laid out at start
    qtbot.wait(20)
    canvas.fit()
    window.resize(1500, 950)
    qtbot.wait(20)
    boxes = [view.sceneBoundingRect() for view in canvas.node_views().values()]
    assert all(_shown(viewer).contains(box) for box in boxes)
    scale = viewer.transform().m11()
    window.resize(900, 600)
    qtbot.wait(20)
    assert all(_shown(viewer).contains(box) for box in boxes) and viewer.transform().m11() < scale
    show_readable(canvas, "stem")  # Find zooms to one node: a resize keeps that, not the whole graph
    assert not all(_shown(viewer).contains(box) for box in boxes)
    window.resize(1500, 950)
    qtbot.wait(20)
    assert not all(_shown(viewer).contains(box) for box in boxes)
    assert _shown(viewer).contains(canvas.node_views()["stem"].sceneBoundingRect())
    viewer.wheelEvent(QtGui.QWheelEvent(  # the user zooms out with the wheel: the view is theirs now
        QtCore.QPointF(50, 50), QtCore.QPointF(50, 50), QtCore.QPoint(0, 0), QtCore.QPoint(0, -120),
        QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    ))  # fmt: skip
    assert viewer._framed is None
