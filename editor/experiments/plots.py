"""The experiment's two plots: the metric against one swept setting, and parallel coordinates over all.

Both draw finished trials only (complete and pruned); the best trial is drawn on top in its own
colour. A log-range setting is drawn on a log axis, a choice as evenly spaced categories.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from editor.training.plots import AXIS, Plot

BEST = (245, 170, 50)
TRIAL = (91, 140, 255)
PRUNED = (138, 144, 160)


def _axis_values(values: list[Any], log: bool) -> tuple[list[float], list[tuple[float, str]] | None]:
    """Positions along an axis for a setting's values; ticks for categories (text, true/false)."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        numbers = [float(v) for v in values]
        if log and all(v > 0 for v in numbers):
            return [math.log10(v) for v in numbers], None
        return numbers, None
    categories = sorted({str(v) for v in values})
    return [float(categories.index(str(v))) for v in values], list(enumerate(categories))


def finished(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["state"] in ("complete", "pruned") and isinstance(r.get("best"), (int, float))]


class MetricVsParamPlot(Plot):
    """The best metric of each trial against the chosen setting."""

    def __init__(self, parent=None):
        super().__init__("Best of each trial", "metric", x_label="setting", parent=parent)
        self.scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen(None))
        self.addItem(self.scatter)
        self.points = 0

    def show_trials(self, rows: list[dict[str, Any]], target: str, metric: str, log: bool, best: int | None) -> None:
        rows = [r for r in finished(rows) if target in r["params"]]
        self.scatter.setData([])
        self.points = len(rows)
        item = self.getPlotItem()
        item.setLabel("bottom", target + (" (log10)" if log else ""), color=AXIS)
        item.setLabel("left", metric.replace("_", " "), color=AXIS)
        if not rows:
            return
        xs, ticks = _axis_values([r["params"][target] for r in rows], log)
        brushes = [
            pg.mkBrush(*(BEST if r["trial"] == best else PRUNED if r["state"] == "pruned" else TRIAL)) for r in rows
        ]
        self.scatter.setData(x=xs, y=[r["best"] for r in rows], brush=brushes, data=[r["trial"] for r in rows])
        item.getAxis("bottom").setTicks([ticks] if ticks else None)
        self.getPlotItem().getViewBox().autoRange()


class ParallelCoordinatesPlot(pg.PlotWidget):
    """One vertical axis per swept setting and one for the metric, each scaled to 0..1; one line per trial,
    coloured from poor (dim) to good (bright), the best in its own colour."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setMinimumSize(150, 110)
        item = self.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.getAxis("left").setStyle(showValues=False)
        item.getAxis("left").setPen(pg.mkPen("#3a3f4b"))
        item.getAxis("bottom").setPen(pg.mkPen("#3a3f4b"))
        item.getAxis("bottom").setTextPen(pg.mkPen(AXIS))
        item.setTitle("Parallel coordinates", color=AXIS)
        self.lines: list[pg.PlotDataItem] = []
        self.labels: list[pg.TextItem] = []

    def show_trials(
        self, rows: list[dict[str, Any]], targets: list[str], logs: list[bool], metric: str, direction: str, best
    ) -> None:
        for thing in self.lines + self.labels:
            self.removeItem(thing)
        self.lines, self.labels = [], []
        rows = finished(rows)
        axes = [*targets, metric]
        item = self.getPlotItem()
        item.getAxis("bottom").setTicks([[(i, name) for i, name in enumerate(axes)]])
        for i in range(len(axes)):
            line = pg.PlotDataItem([i, i], [0, 1], pen=pg.mkPen("#4a505d", width=1))
            self.addItem(line)
            self.lines.append(line)
        if not rows:
            return
        columns = []
        for index, target in enumerate(targets):
            positions, ticks = _axis_values([r["params"].get(target) for r in rows], logs[index])
            columns.append((_unit(positions), ticks, positions))
        metric_values = [float(r["best"]) for r in rows]
        columns.append((_unit(metric_values), None, metric_values))
        # end labels: the low and high of each axis, so a line's height can be read
        for i, (_, ticks, raw) in enumerate(columns):
            low, high = (
                (ticks[0][1], ticks[-1][1]) if ticks else (f"{_low(raw, i, logs):.3g}", f"{_high(raw, i, logs):.3g}")
            )
            for y, text in ((0, low), (1, high)):
                label = pg.TextItem(text, color=AXIS, anchor=(0.5, 1.2 if y else -0.2))
                label.setPos(i, y)
                self.addItem(label)
                self.labels.append(label)
        scores = columns[-1][0] if direction == "maximize" else [1 - v for v in columns[-1][0]]
        order = sorted(range(len(rows)), key=lambda k: (rows[k]["trial"] == best, scores[k]))
        for k in order:
            ys = [column[0][k] for column in columns]
            is_best = rows[k]["trial"] == best
            rgb = BEST if is_best else TRIAL
            alpha = 255 if is_best else int(60 + 160 * scores[k])
            line = pg.PlotDataItem(
                list(range(len(axes))), ys, pen=pg.mkPen(QtGui.QColor(*rgb, alpha), width=3 if is_best else 1.5)
            )
            self.addItem(line)
            self.lines.append(line)
        item.getViewBox().setRange(xRange=(-0.3, len(axes) - 0.7), yRange=(-0.15, 1.15), padding=0)

    def line_count(self) -> int:
        return len(self.lines)


def _unit(values: list[float]) -> list[float]:
    array = np.asarray(values, dtype=float)
    low, high = float(array.min()), float(array.max())
    if high - low < 1e-12:
        return [0.5] * len(values)
    return list((array - low) / (high - low))


def _low(raw: list[float], index: int, logs: list[bool]) -> float:
    value = min(raw)
    return 10**value if index < len(logs) and logs[index] else value


def _high(raw: list[float], index: int, logs: list[bool]) -> float:
    value = max(raw)
    return 10**value if index < len(logs) and logs[index] else value
