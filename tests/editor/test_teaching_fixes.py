"""Teaching warnings in the editor: the Problems panel shows them and their one-click fixes edit the canvas."""

from __future__ import annotations

from tests.engine.analysis.test_teaching import sigmoid_stack, squashed_before


def _fix_button(window, node_id: str):
    index = next(i for i in range(window.problems.list.count()) if window.problems.row(i).problem.node_id == node_id)
    row = window.problems.row(index)
    assert row.problem.severity == "warning"
    return row.fix_button


def test_removing_a_softmax_before_cross_entropy_takes_one_click_and_undoes(window):
    window.document.load(squashed_before("activations.Softmax", "losses.CrossEntropy"), None)
    assert window.canvas.canvas_node("squash").view.severity == "warning"
    button = _fix_button(window, "squash")
    assert button.text() == "Remove squash (its input goes straight on)"
    button.click()
    graph = window.document.graph
    assert "squash" not in graph.nodes and window.canvas.canvas_node("squash") is None
    assert ("fc2", "loss") in {(e.src, e.dst) for e in graph.edges}
    assert not window.live.analysis.problems
    window.document.undo_stack.undo()
    assert "squash" in window.document.graph.nodes and window.live.run_now().problems


def test_a_batchnorm_goes_into_a_deep_sigmoid_stack_with_one_click(window):
    window.document.load(sigmoid_stack(4), None)
    _fix_button(window, "act4").click()
    graph = window.document.graph
    [norm] = [n.id for n in graph.nodes.values() if n.type_id == "layers.BatchNorm1d"]
    assert graph.predecessors("act4") == [norm] and window.canvas.selected_ids() == [norm]
    assert not [p for p in window.live.analysis.problems if p.severity != "info"]
