"""Level of detail: zoomed out, ports, their texts, edge labels and arrows are not painted (so a zoom step over a
large graph paints cards and edges only); zoomed back in, they all come back."""

from __future__ import annotations

from PySide6 import QtGui

from editor.canvas.pipes import ShapePipeItem
from editor.files import EXAMPLES_DIR


def _details(canvas) -> tuple[set[float], set[float]]:
    """The opacities of the ports and of the edges' labels and arrows, of what the view shows now (only
    what is painted decides its level of detail)."""
    shown = canvas.viewer.mapToScene(canvas.viewer.viewport().rect()).boundingRect()
    nodes = [c for c in canvas.node_views().values() if c.sceneBoundingRect().intersects(shown)]
    ports = {p.opacity() for c in nodes for p in (*c.inputs, *c.outputs)}
    pipes = {
        child.opacity()
        for pipe in canvas.viewer.all_pipes()
        if isinstance(pipe, ShapePipeItem) and pipe.sceneBoundingRect().intersects(shown)
        for child in pipe.childItems()
    }
    return ports, pipes


def test_zoomed_out_ports_and_labels_are_skipped_and_come_back(make_window, qtbot):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_residual_digits.json", remember=False)
    canvas = window.canvas
    qtbot.wait(50)  # the queued fit
    canvas.viewer.setTransform(QtGui.QTransform.fromScale(0.2, 0.2))
    canvas.viewer.viewport().repaint()
    assert _details(canvas) == ({0.0}, {0.0})
    texts = [t for c in canvas.node_views().values() for t in c._input_items.values()]
    assert texts and not any(t.isVisible() for t in texts)
    canvas.select(["res_conv1"], centre=True)
    canvas.viewer.setTransform(QtGui.QTransform.fromScale(1.0, 1.0))
    canvas.viewer.viewport().repaint()
    assert _details(canvas) == ({1.0}, {1.0})
    items = [
        i
        for c in canvas.node_views().values()
        if c.sceneBoundingRect().intersects(canvas.viewer.mapToScene(canvas.viewer.viewport().rect()).boundingRect())
        for i in c._input_items.items()
    ]
    assert items and all(text.isVisible() == bool(port.display_name) for port, text in items)  # as drawn before
    assert any(text.isVisible() for _, text in items)
