"""Auto-layout in the main window, on every example and the 500-node residual CNN of the bench:
no node box covers another, no shape label sits on a node or a port, and no edge is drawn through
a node that is not one of its ends."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from editor.canvas.pipes import ShapePipeItem
from editor.files import EXAMPLES_DIR
from engine.graph import save_graph

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_shape_inference.py"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))
SAMPLE_STEP = 10.0  # px between sampled points of a drawn edge; node boxes are 100+ px
CELL = 200.0  # the grid that finds the boxes near a point


def residual_cnn_file(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_shape_inference", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = folder / "residual_cnn_500.json"
    save_graph(module.residual_cnn(), path)
    return path


def laid_out(make_window, path: Path):
    window = make_window()
    assert window.files.load_path(path, remember=False)
    window.live.run_now()
    window.canvas.auto_layout()
    window.canvas.viewer.labels.flush()  # labels are placed once the event loop turns
    return window


def node_boxes(window) -> dict[str, QtCore.QRectF]:
    return {n: window.canvas.canvas_node(n).view.sceneBoundingRect() for n in window.document.graph.nodes}


def pipes(window) -> list[ShapePipeItem]:
    return [p for p in window.canvas.viewer.all_pipes() if isinstance(p, ShapePipeItem) and p.input_port]


def grid(boxes: dict[str, QtCore.QRectF]) -> dict[tuple[int, int], list[str]]:
    cells: dict[tuple[int, int], list[str]] = {}
    for node_id, box in boxes.items():
        for i in range(int(box.left() // CELL), int(box.right() // CELL) + 1):
            for j in range(int(box.top() // CELL), int(box.bottom() // CELL) + 1):
                cells.setdefault((i, j), []).append(node_id)
    return cells


def near(cells, rect: QtCore.QRectF) -> set[str]:
    return {
        node_id
        for i in range(int(rect.left() // CELL), int(rect.right() // CELL) + 1)
        for j in range(int(rect.top() // CELL), int(rect.bottom() // CELL) + 1)
        for node_id in cells.get((i, j), ())
    }


def problems_of(window) -> list[str]:
    boxes = node_boxes(window)
    cells = grid(boxes)
    found = sorted(
        f"{a} overlaps {b}" for a, box in boxes.items() for b in near(cells, box) if a < b and box.intersects(boxes[b])
    )
    for pipe in pipes(window):
        src, dst = pipe.output_port.node.name, pipe.input_port.node.name
        if pipe.label.isVisible():
            label = pipe.label.sceneBoundingRect()
            found += [f"label of {src}->{dst} on {n}" for n in near(cells, label) if boxes[n].intersects(label)]
        path = pipe.path()
        samples = max(20, int(path.length() / SAMPLE_STEP))
        through = set()
        for k in range(samples + 1):
            point = path.pointAtPercent(k / samples)
            spot = QtCore.QRectF(point, point)
            for n in near(cells, spot) - {src, dst}:
                if boxes[n].adjusted(2, 2, -2, -2).contains(point):
                    through.add(n)
        found += [f"edge {src}->{dst} through {n}" for n in sorted(through)]
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_lays_out_clean(make_window, example):
    window = laid_out(make_window, example)
    assert problems_of(window) == []
    assert all(p.label.full_text for p in pipes(window))  # the analysis ran: every edge has a shape


def test_the_500_node_graph_lays_out_clean(make_window, tmp_path):
    window = make_window()  # as opened (a layout with estimated node sizes), then after Auto-layout
    assert window.files.load_path(residual_cnn_file(tmp_path), remember=False)
    window.live.run_now()
    window.canvas.viewer.labels.flush()
    assert "routes" in window.document.graph.nodes["loss"].ui  # the target edge from the Dataset goes around
    assert problems_of(window) == []
    window.canvas.auto_layout()
    window.canvas.viewer.labels.flush()
    assert len(window.document.graph.nodes) == 500
    assert problems_of(window) == []
    shown = [p for p in pipes(window) if p.label.isVisible()]
    assert len(shown) >= 0.9 * len(pipes(window))  # labels find room, they are not all hidden


def test_the_checks_see_a_layout_that_is_not_clean(make_window):
    """The checks above can fail: nodes piled on one spot are reported, edges and labels too."""
    window = laid_out(make_window, EXAMPLES_DIR / "mlp_digits.json")
    window.document.edit("Pile up", lambda g: [g.nodes[n].ui.update(x=0.0, y=float(i)) for i, n in enumerate(g.nodes)])
    window.canvas.viewer.labels.flush()
    found = problems_of(window)
    assert any("overlaps" in p for p in found)
    assert any("through" in p for p in found)


def _label_between_fc1_and_relu1(window, gap: float) -> ShapePipeItem:
    """Put relu1 `gap` px right of fc1, level with it, and return the edge between them."""
    fc1 = window.canvas.canvas_node("fc1").view
    x = fc1.pos().x() + fc1.boundingRect().width() + gap
    y = fc1.pos().y()
    window.document.edit("Move", lambda g: g.nodes["relu1"].ui.update(x=x, y=y))
    window.canvas.viewer.labels.flush()
    return next(p for p in pipes(window) if (p.output_port.node.name, p.input_port.node.name) == ("fc1", "relu1"))


def test_a_label_is_shortened_then_hidden_until_hover_when_its_edge_has_no_room(make_window, qtbot):
    from editor.canvas.pipes import LabelPlacer, ShapeLabel, short_shape

    window = laid_out(make_window, EXAMPLES_DIR / "mlp_digits.json")
    margin = 2 * LabelPlacer.PORT_MARGIN
    pipe = _label_between_fc1_and_relu1(window, 200)
    full = pipe.label.full_text
    assert full == "B x 128" and pipe.label.isVisible() and pipe.label.text == full
    short_width = ShapeLabel.rect_for(short_shape(full)).width()
    assert short_width < ShapeLabel.rect_for(full).width() - 4
    pipe = _label_between_fc1_and_relu1(window, short_width + margin + 2)
    assert pipe.label.isVisible() and pipe.label.text == "Bx128"
    pipe = _label_between_fc1_and_relu1(window, 10)
    assert not pipe.label.isVisible() and pipe.toolTip() == full
    pipe.hoverEnterEvent(QtWidgets.QGraphicsSceneHoverEvent())
    assert pipe.label.isVisible() and pipe.label.text == full
    pipe.hoverLeaveEvent(QtWidgets.QGraphicsSceneHoverEvent())
    assert not pipe.label.isVisible()
    assert problems_of(window) == []  # a hidden label is on no node
