"""Step mode in the window: F8 trains one batch, the Step tab lists every layer, badges and edge
colours show the gradient, and an edit restarts stepping from fresh weights."""

from __future__ import annotations

from editor.canvas.pipes import ShapePipeItem
from editor.training.step_view import gradient_color


def pipes_from(window, node_id: str) -> list[ShapePipeItem]:
    return [
        p
        for p in window.canvas.viewer.all_pipes()
        if isinstance(p, ShapePipeItem) and p.output_port and p.output_port.node.name == node_id
    ]


def test_gradient_colours_run_from_blue_to_red():
    assert gradient_color(1e-9) == (70, 110, 230) and gradient_color(100.0) == (235, 72, 72)
    assert gradient_color(1e-2) != gradient_color(1e-4)


def test_a_step_shows_the_layers_gradients_and_colours_the_edges(window):
    training = window.training
    assert training.step_action.isEnabled()
    training.step_action.trigger()
    report = training.step_mode.last
    assert report is not None and report.step == 1
    panel = training.step_mode.panel
    assert training.dashboard.tabs.currentWidget() is panel
    assert panel.table.rowCount() == len(report.layers) == 2  # mlp_digits: fc1 and fc2
    assert panel.table.item(0, 0).text() == "fc1" and "Step 1" in panel.summary.text()
    fc1 = report.layers[0]
    assert window.canvas.canvas_node("fc1").view.health[0].startswith("∇")
    [edge] = pipes_from(window, "fc1")
    assert edge.gradient_color == gradient_color(report.port_gradients[("fc1", "out")])
    assert edge.pen().color().getRgb()[:3] == edge.gradient_color and fc1.grad_norm > 0
    assert all(p.gradient_color is None for p in pipes_from(window, "data"))  # data carries no gradient

    training.step_action.trigger()
    assert training.step_mode.last.step == 2
    window.document.edit("rename", lambda g: g.nodes["fc1"].params.update(out_features=16))
    assert training.step_mode.stepper is None and edge.gradient_color is None
    assert "starts again from fresh weights" in panel.summary.text()
