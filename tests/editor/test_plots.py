"""The live plots: legends beside the curves (never over them), readable log ticks, the x range
of a stopped run, and no plot squashed to a sliver."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui

from editor.training.plots import (
    PALETTE,
    FittingAxis,
    LivePlots,
    LogAxis,
    Plot,
    Series,
    log_tick_values,
    next_step_125,
)

RUN = {
    "losses": ["loss"],
    "optimizers": [{"id": "adam"}],
    "batches_per_epoch": 10,
    "epochs": 60,
    "accuracy": ["acc"],
    "relus": ["relu1"],
    "num_val": 100,
}


def epoch_row(epoch: int, layers: int = 6) -> dict:
    return {
        "epoch": epoch,
        "train_loss": 2 * math.exp(-epoch / 5) + 0.1,
        "val_loss": 2 * math.exp(-epoch / 5) + 0.15,
        "train_acc": 1 - 0.5 * math.exp(-epoch / 3),
        "val_acc": 1 - 0.55 * math.exp(-epoch / 3),
        "grad_norm": {f"layer_number_{i}": 0.2 + 0.7 * math.exp(-epoch / 6) * i for i in range(1, layers + 1)},
        "dead_relu": {"relu1": 0.05},
    }


@pytest.fixture
def plots(qtbot):
    widget = LivePlots()
    qtbot.addWidget(widget)
    widget.resize(1100, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.reset(RUN)
    widget.start_redrawing()
    widget.add_rows([{"step": s, "loss": 2.3 * math.exp(-s / 50), "lr": 0.001} for s in range(1, 81)])
    for epoch in range(1, 9):
        widget.add_epoch(epoch_row(epoch))
    yield widget
    widget.stop_redrawing()


def test_legends_sit_above_the_plot_area_and_fit_its_width(plots, qtbot):
    plots.mark_lr_change({"step": 50, "from": 0.001, "to": 0.0003, "optimizer": "adam"})
    plots.stop_redrawing()
    for plot in plots.plots:
        items = plot.getPlotItem().items + plot.getViewBox().addedItems
        assert not [i for i in items if isinstance(i, pg.LegendItem)], f"{plot.title}: a legend box over the curves"
        label = plot.getPlotItem().titleLabel
        # the title row (title, legend, notes) lies wholly above the view box and within the plot
        view_top = plot.getViewBox().sceneBoundingRect().top()
        assert label.sceneBoundingRect().bottom() <= view_top + 1, plot.title
        assert label.item.boundingRect().width() <= plot.width(), f"{plot.title}: legend wider than the plot"
    grad_legend = plots.grad.getPlotItem().titleLabel.item.toPlainText()
    assert all(f"layer_number_{i}" in grad_legend for i in range(1, 7))
    assert len(plots.grad.legend_lines()) > 1  # six names flow onto more lines instead of off the side


def test_a_curve_without_a_name_adds_no_empty_legend_entry(plots):
    assert plots.lr.legend_entries == []  # one optimizer: the curve needs no legend
    assert plots.lr.getPlotItem().titleLabel.item.toPlainText().strip() == "Learning rate"


def test_the_learning_rate_note_goes_under_the_title_not_over_the_curve(plots):
    plots.mark_lr_change({"step": 50, "from": 0.001, "to": 0.0003, "optimizer": "adam"})
    assert plots.loss.notes == ["lr 0.001 → 0.0003 at epoch 5"]
    assert "lr 0.001 → 0.0003" in plots.loss.getPlotItem().titleLabel.item.toPlainText()
    for plot in (plots.loss, plots.lr):
        line = plot.marks[-1]
        assert line.label is None if hasattr(line, "label") else True  # no text drawn in the plot area
        assert not [c for c in line.childItems() if isinstance(c, pg.TextItem)]


@pytest.mark.parametrize(
    ("low", "high", "pixels"), [(-1, 0, 60), (-1, 0, 400), (-6, 2, 80), (-0.6, -0.35, 200), (-3, 1, 30)]
)
def test_log_ticks_never_overprint(low, high, pixels):
    values = log_tick_values(low, high, pixels, LogAxis.MIN_GAP_PX)
    assert values, (low, high, pixels)
    assert all(low - 1e-9 <= v <= high + 1e-9 for v in values)
    gaps = [(b - a) * pixels / (high - low) for a, b in zip(values, values[1:], strict=False)]
    assert all(g >= LogAxis.MIN_GAP_PX - 1e-6 for g in gaps), gaps


def test_log_tick_labels_say_the_value(plots):
    axis = plots.grad.getPlotItem().getAxis("left")
    assert isinstance(axis, LogAxis)
    assert axis.logTickStrings([math.log10(0.25), 0.0, -3.0], 1.0, None) == ["0.25", "1", "0.001"]


def test_after_stop_the_x_axis_ends_at_the_last_epoch_trained(plots):
    assert plots.loss.viewRange()[0][1] > 55  # while running: room for all 60 epochs
    plots.stop_redrawing()
    for plot in plots.plots:
        assert plot.viewRange()[0][1] < 9, (plot.title, plot.viewRange()[0])


@pytest.mark.parametrize(("width", "height"), [(1100, 300), (800, 190), (800, 150)])
def test_no_plot_is_squashed_to_a_sliver(plots, qtbot, width, height):
    plots.resize(width, height)
    qtbot.wait(20)
    for plot in plots.plots:
        if plot.isVisible():
            view = plot.getViewBox().sceneBoundingRect()
            assert plot.height() >= 110 and plot.width() >= 150, (plot.title, plot.size())
            assert view.height() >= 40 and view.width() >= 60, (plot.title, view)


def test_axis_titles_fit_beside_their_axis(plots, qtbot):
    plots.resize(800, 190)
    qtbot.wait(20)
    for plot in plots.plots:
        axis = plot.getPlotItem().getAxis("left")
        # the rotated label's length must fit the axis' height, else it is clipped
        assert axis.label.boundingRect().width() <= axis.height() + 1, (plot.title, axis.labelText)


def test_an_empty_reset_forgets_the_previous_runs_axes(plots):
    plots.stop_redrawing()
    plots.reset({})
    for plot in plots.plots:
        assert plot.viewRange()[0][1] <= 1.1, (plot.title, plot.viewRange())
    assert plots.lr.viewRange()[1][1] <= 1.1 and plots.loss.point_count() == 0


def drawn_labels(axis: pg.AxisItem) -> list[tuple[QtCore.QRectF, str]]:
    """The tick labels pyqtgraph would paint on `axis`, in order along it."""
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    vertical = axis.orientation in ("left", "right")
    return sorted(((rect, text) for rect, _, text in texts), key=lambda t: t[0].top() if vertical else t[0].left())


@pytest.mark.parametrize(
    ("width", "height", "x_end", "y_end"),
    [(150, 200, 300, 2.5), (150, 110, 3000, 2.5), (180, 110, 1000, 250), (400, 300, 300, 1), (150, 110, 0.003, 9)],
)
def test_linear_axis_labels_never_overprint_on_a_narrow_plot(qtbot, width, height, x_end, y_end):
    plot = Plot("Learning rate", "lr")
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    plot.setXRange(0, x_end, padding=0.02)
    plot.setYRange(0, y_end, padding=0.02)
    qtbot.wait(20)
    for name in ("bottom", "left"):
        axis = plot.getPlotItem().getAxis(name)
        assert isinstance(axis, FittingAxis)
        labels = drawn_labels(axis)
        assert labels, (name, width, x_end)  # narrow, but still a scale
        for (a, text_a), (b, text_b) in zip(labels, labels[1:], strict=False):
            apart = b.top() - a.bottom() if name == "left" else b.left() - a.right()
            assert apart >= 0, f"{name}: {text_a!r} and {text_b!r} overprint ({apart:.1f} px)"
    wide = [t for _, t in drawn_labels(plot.getPlotItem().getAxis("bottom"))]
    if width >= 400:  # room enough: as many labels as pyqtgraph would give
        assert len(wide) >= 5, wide


def test_next_step_goes_one_two_five():
    steps = [0.1]
    for _ in range(6):
        steps.append(next_step_125(steps[-1]))
    assert steps == pytest.approx([0.1, 0.2, 0.5, 1, 2, 5, 10])


def _y_range(plot: Plot) -> tuple[float, float]:
    low, high = plot.getPlotItem().getViewBox().viewRange()[1]
    return low, high


def test_a_live_plot_keeps_every_point_in_view_without_refitting_each_frame(plots):
    plots.redraw()
    for plot in plots.held_plots():
        low, high = plot.data_y_bounds()
        view_low, view_high = _y_range(plot)
        assert view_low <= low and high <= view_high, plot.title
    before = _y_range(plots.loss)
    # a point inside the current range does not move it (pyqtgraph's auto-range would refit,
    # and every refit re-lays the axis ticks)
    middle = sum(before) / 2
    plots.add_rows([{"step": 81, "loss": middle, "lr": 0.001}])
    plots.redraw()
    assert _y_range(plots.loss) == before
    # a point above it moves the range so that it is in view again
    plots.add_rows([{"step": 82, "loss": before[1] + 5, "lr": 0.001}])
    plots.redraw()
    assert _y_range(plots.loss)[1] >= before[1] + 5


def test_a_live_range_shrinks_when_the_data_fills_under_a_third_of_it(qtbot):
    plot = Plot("Loss", "loss")
    qtbot.addWidget(plot)
    plot.hold_y_range(True)
    curve = plot.curve("loss", "loss", (200, 100, 100))
    curve.extend([0, 1], [0.0, 30.0])
    plot.redraw()
    assert _y_range(plot)[1] >= 30
    plot.setYRange(0, 1000, padding=0)  # e.g. left over from a spike that scrolled out of the data
    plot.redraw()
    low, high = _y_range(plot)
    assert high < 100 and low <= 0


def test_a_held_log_axis_works_in_decades(qtbot):
    plot = Plot("Gradient norm (log)", "norm", log_y=True)
    qtbot.addWidget(plot)
    plot.hold_y_range(True)
    plot.curve("fc1", "fc1", (200, 100, 100)).extend([0, 1, 2], [1e-6, 0.0, 1e-1])  # 0 has no log: ignored
    plot.redraw()
    assert plot.data_y_bounds() == pytest.approx((-6.0, -1.0))
    low, high = _y_range(plot)
    assert low <= -6 and high >= -1 and high - low < 15


def test_a_finished_run_is_fitted_exactly_again(plots):
    plots.stop_redrawing()
    for plot in plots.held_plots():
        assert not plot.holding_y
        assert plot.getPlotItem().getViewBox().autoRangeEnabled()[1], plot.title


def _long_run(plots: LivePlots, epochs: int = 300, per_epoch: int = 45) -> list[dict]:
    """A run as long as 300 epochs of the digits MLP: 13,500 batch losses, one value per epoch."""
    plots.stop_redrawing()
    plots.reset({**RUN, "epochs": epochs, "batches_per_epoch": per_epoch})
    plots.start_redrawing()
    rows = [{"step": s, "loss": 2.3 * math.exp(-s / 3000) + 0.2 * (s % 7) / 7, "lr": 0.001} for s in range(1, 13_504)]
    plots.add_rows(rows)
    for epoch in range(1, epochs + 1):
        plots.add_epoch(epoch_row(epoch))
    return rows


def test_a_long_live_curve_is_drawn_at_the_plots_resolution_and_ends_at_the_newest_batch(plots):
    rows = _long_run(plots)
    plots.redraw()
    for key in ("raw:loss", "smooth:loss"):
        curve = plots.loss.curves[key]
        assert curve.count == len(rows)  # every point is kept
        drawn_x, drawn_y = curve.item.xData, curve.item.yData  # what the painter was handed
        assert curve.drawn_points == len(drawn_x) < 4 * plots.loss.getViewBox().width() + 64
        assert drawn_x[-1] == rows[-1]["step"] / 45  # the curve ends at the newest batch, exactly
        assert drawn_y[-1] == curve.series.view()[1][-1]
        assert not curve.item.opts["autoDownsample"]  # pyqtgraph's would drop the newest points again
    raw = plots.loss.curves["raw:loss"]
    assert np.nanmax(raw.item.yData) == max(r["loss"] for r in rows)  # the envelope keeps every spike
    # a finished run hands every point over; pyqtgraph picks the detail for the zoom
    plots.stop_redrawing()
    assert len(raw.item.xData) == len(rows) and raw.item.opts["autoDownsample"]


def test_every_epoch_value_is_drawn_after_a_long_run(plots):
    _long_run(plots, epochs=1000, per_epoch=2)
    plots.stop_redrawing()
    validation = plots.loss.curves["epoch:val_loss"]
    assert not validation.item.opts["autoDownsample"]  # a per-epoch curve is never thinned
    x, y = validation.item.getData()  # what is painted (after any downsampling)
    assert len(x) == 1000 and y[-1] == epoch_row(1000)["val_loss"]


def test_a_hidden_dashboard_keeps_its_points_and_draws_them_when_shown(plots, qtbot):
    plots.redraw()
    plots.hide()
    plots.add_rows([{"step": 81, "loss": 0.5, "lr": 0.001}])
    for _ in range(4):
        plots._tick()
    assert plots.loss.dirty  # nothing was drawn for a panel no one sees
    plots.show()
    qtbot.waitExposed(plots)
    for _ in range(4):
        plots._tick()
    assert not plots.loss.dirty
    assert plots.loss.curves["raw:loss"].item.xData[-1] == 81 / RUN["batches_per_epoch"]


def test_a_backed_off_ui_says_so_and_draws_coarser(plots):
    _long_run(plots)
    plots.redraw()
    fine = plots.loss.curves["raw:loss"].drawn_points
    assert plots.pace_note() == "" and not plots.coarse
    plots.pacer.interval_ms = 4 * plots.pacer.base_ms  # as after a run of late ticks on a busy machine
    assert "plots every 0.1 s" in plots.pace_note() and plots.coarse
    plots.add_rows([{"step": 13_504, "loss": 0.5, "lr": 0.001}])
    plots.redraw()
    coarse = plots.loss.curves["raw:loss"]
    assert coarse.drawn_points < 0.75 * fine
    assert coarse.item.yData[-1] == 0.5  # coarser, but the newest value is still exact
    plots.stop_redrawing()
    assert plots.pace_note() == ""


def test_a_starting_runs_curves_exist_before_its_first_batch_and_hold_no_point(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset(RUN)
    plots.prepare_curves(RUN)
    made = {plot.title: set(plot.curves) for plot in plots.plots}
    assert made["Loss"] == {"raw:loss", "smooth:loss", "epoch:train_loss", "epoch:val_loss"}
    assert made["Accuracy"] == {"train:train_acc", "val:train_acc"} and made["Learning rate"] == {"lr"}
    assert plots.loss_points() == 0 and not plots.loss.dirty
    assert "validation" in plots.loss.getPlotItem().titleLabel.item.toPlainText()  # the legend is laid out already
    plots.start_redrawing()
    plots.add_rows([{"step": 1, "loss": 2.0, "lr": 0.001}])
    plots.add_epoch({k: v for k, v in epoch_row(1).items() if k not in ("grad_norm", "dead_relu")})
    assert {plot.title: set(plot.curves) for plot in plots.plots} == made  # the trainer's names: no curve added
    assert plots.loss.curves["smooth:loss"].series.view()[1].tolist() == [2.0]  # smoothing starts afresh
    plots.stop_redrawing()


def test_a_starting_run_lays_out_every_legend_once_with_its_gradient_and_dead_unit_curves(qtbot, monkeypatch):
    plots = LivePlots()
    qtbot.addWidget(plots)
    layers = ["layer_number_1", "layer_number_2"]  # the names epoch_row(layers=2) reports norms for
    run = {**RUN, "layers": layers}
    layouts: list[str] = []
    lay_out = Plot.legend_lines  # measuring the legend's entries: what laying out a title costs
    monkeypatch.setattr(Plot, "legend_lines", lambda self, *a: layouts.append(self.title) or lay_out(self, *a))
    with plots.one_title_layout():  # as the window does when the child says `started`
        plots.reset(run)
        plots.prepare_curves(run)
    assert sorted(layouts) == sorted(plot.title for plot in plots.plots)  # once per plot, not per curve and clear
    assert set(plots.grad.curves) == set(layers) and set(plots.dead.curves) == {"relu1"}
    legend = plots.grad.getPlotItem().titleLabel.item.toPlainText()
    assert all(layer in legend for layer in layers)  # laid out before the first epoch: no re-layout mid-run
    made = {plot.title: set(plot.curves) for plot in plots.plots}
    plots.add_epoch(epoch_row(1, layers=2))  # the first epoch's norms and dead units go into those curves
    assert {plot.title: set(plot.curves) for plot in plots.plots} == made
    assert plots.grad.curves[layers[0]].count == 1 and plots.dead.curves["relu1"].count == 1
    # each layer keeps the colour add_epoch gives it: gradient layers first, then the ReLUs
    assert [plots.layer_colors[n] for n in (*layers, "relu1")] == PALETTE[:3]


def test_zooming_into_a_live_curve_draws_it_in_more_detail(plots):
    _long_run(plots)
    plots.redraw()
    whole = plots.loss.curves["raw:loss"].drawn_points
    plots.loss.setXRange(250, 300, padding=0)  # the user zooms into the last 50 epochs while it trains
    plots.add_rows([{"step": 13_504, "loss": 0.5, "lr": 0.001}])
    plots.redraw()
    assert plots.loss.curves["raw:loss"].drawn_points > 4 * whole


def test_a_point_appended_is_kept_as_extend_keeps_it_with_the_same_extremes():
    values = [2.0, math.nan, -1.0, 0.5, math.inf, 3.0, 0.1] * 3  # past the first capacity
    one, many = Series(capacity=4), Series(capacity=4)
    for x, y in enumerate(values):
        one.append(x, y)
    many.extend(range(len(values)), values)
    np.testing.assert_array_equal(one.view()[0], many.view()[0])
    np.testing.assert_array_equal(one.view()[1], many.view()[1])
    assert (one.low, one.high, one.low_positive) == (many.low, many.high, many.low_positive) == (-1.0, 3.0, 0.1)
