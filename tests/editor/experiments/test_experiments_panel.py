"""The Experiments panel on a real tiny sweep: sweep buttons, the live table, the plots, Apply best (undoable)."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

pytestmark = pytest.mark.slow  # a real sweep: a child process with a worker that imports torch


def test_a_sweep_from_the_panel_fills_the_table_and_apply_best_is_undoable(window, qtbot):
    experiments = window.experiments
    panel = experiments.panel
    window.properties.show_node("adam")
    window.properties.rows["lr"][1][0].sweep_button.click()  # the "sweep" button beside Adam's learning rate
    assert experiments.dock.isVisible()
    graph = window.document.graph
    assert [p["target"] for p in graph.experiments[0]["params"]] == ["adam.lr"]
    assert panel.params.item(0, 1).text() == "log:0.0001:0.01"  # two decades around 0.001
    assert panel.set_values("adam.lr", "0.03,0.01")
    assert not panel.set_values("adam.lr", "log:0:1")  # refused, one line, the saved values stay
    assert "must be at least" in panel.message.text() and "\n" not in panel.message.text()
    panel.strategy.setCurrentIndex(panel.strategy.findData("grid"))
    assert window.document.graph.experiments[0]["strategy"] == "grid"
    panel.epochs.setValue(1)
    panel.jobs.setValue(1)
    assert experiments.start()
    assert panel.stop_button.isEnabled() and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: not experiments.process.running, timeout=180_000)
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=5_000)
    rows = panel.model.rows
    assert sorted(r["params"]["adam.lr"] for r in rows) == [0.01, 0.03]
    assert {r["state"] for r in rows} == {"complete"}, [r["message"] for r in rows]
    assert panel.table["status"] == "finished" and "Finished: 2 complete" in panel.status.text()
    # sortable: by the best metric, best first
    best_column = panel.model.headers().index("best\nval acc")
    panel.view.sortByColumn(best_column, QtCore.Qt.SortOrder.DescendingOrder)
    top = panel.proxy.index(0, 0).data()
    assert int(top) == panel.table["best_trial"]
    # plots: every finished trial a point and a line; selected trials' curves overlaid
    assert panel.scatter.points == 2 and panel.parallel.line_count() >= 2 + 2  # 2 axes + 2 trials
    panel.select_trials([0, 1])
    assert len(panel.curves.curves) == 2
    # the trials are ordinary runs of the graph, listed in the Runs panel
    runs = window.training.dashboard.runs
    assert {r["run_id"] for r in rows} <= {run.id for run in runs.runs}
    # Apply best writes the best value into the graph, one undoable step
    best = panel.best_row()["params"]["adam.lr"]
    before = window.document.graph.nodes["adam"].params["lr"]
    assert before == 0.001 and panel.apply_best()
    assert window.document.graph.nodes["adam"].params["lr"] == best
    assert window.document.undo_stack.undoText().startswith("Apply best trial")
    window.document.undo_stack.undo()
    assert window.document.graph.nodes["adam"].params["lr"] == before
