"""Drawing the regression insights (engine/training/regression_insights.py) in the Samples view.

- regression: predicted against actual, one dot per validation sample, on the dashed line of a
  perfect prediction; for a single input feature, the data with the model's fitted curve;
- forecast: small multiples, each a series with its true next value (white) and the forecast (blue).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui

REGRESSION_KINDS = ("regression", "forecast")
AXIS = QtGui.QColor(58, 63, 75)
PLOT_BG = QtGui.QColor(24, 26, 31)
LABEL = QtGui.QColor(138, 144, 160)
DATA = QtGui.QColor(150, 156, 170, 150)
MODEL = QtGui.QColor(91, 140, 255)
TRUTH = QtGui.QColor(235, 238, 245)


def regression_titles(samples: dict[str, Any]) -> tuple[str, str]:
    r2 = f"R² {samples['r2']:.2f} ({len(samples['actual'])} samples)"
    if samples["kind"] == "forecast":
        return "Forecasts", f"{r2} · white: truth, blue: forecast"
    if "fit" in samples:
        return "Fitted curve", f"{r2} · grey: data, blue: model"
    first = ", first output" if samples.get("outputs", 1) > 1 else ""
    return "Predicted vs actual", f"{r2}{first} · dashed: exact"


def paint_regression_kind(painter: QtGui.QPainter, body: QtCore.QRectF, samples: dict[str, Any]) -> None:
    if samples["kind"] == "forecast":
        _paint_forecasts(painter, body, samples)
    elif "fit" in samples:
        fit = samples["fit"]
        box, place = _axes(
            painter, body.adjusted(18, 0, 0, -14), fit["x"], np.concatenate([samples["actual"], fit["curve"]])
        )
        _dots(painter, place, fit["x"], samples["actual"], DATA, 2.2)
        _line(painter, place, fit["grid"], fit["curve"], MODEL, 2.0)
        _axis_labels(painter, box, "x (input feature)", "y")
        _range_labels(painter, box, fit["x"], np.concatenate([samples["actual"], fit["curve"]]))
    else:
        actual, predicted = samples["actual"], samples["predicted"]
        both = np.concatenate([actual, predicted])
        box, place = _axes(painter, body.adjusted(18, 0, 0, -14), both, both, square=True)
        lo, hi = float(both.min()), float(both.max())
        painter.setPen(QtGui.QPen(LABEL, 1, QtCore.Qt.PenStyle.DashLine))
        painter.drawLine(place(lo, lo), place(hi, hi))
        _dots(painter, place, actual, predicted, QtGui.QColor(91, 140, 255, 190), 2.4)
        _axis_labels(painter, box, "actual", "predicted")
        _range_labels(painter, box, both, both)


def _paint_forecasts(painter: QtGui.QPainter, body: QtCore.QRectF, samples: dict[str, Any]) -> None:
    series = np.asarray(samples["series"], dtype=float)
    count = len(series)
    if not count:
        return
    columns = 2 if count > 1 else 1
    rows = -(-count // columns)
    gap = 8.0
    width = (body.width() - gap * (columns - 1)) / columns
    height = (body.height() - gap * (rows - 1)) / rows
    for k in range(count):
        r, c = divmod(k, columns)
        cell = QtCore.QRectF(body.left() + c * (width + gap), body.top() + r * (height + gap), width, height)
        last = len(series[k])  # the step after the window: where the forecast lands
        steps = np.arange(last + 3, dtype=float)  # two steps of room right of it
        values = np.concatenate([series[k], [samples["actual"][k], samples["predicted"][k]]])
        _, place = _axes(painter, cell, steps, values)
        painter.setPen(QtGui.QPen(AXIS, 1, QtCore.Qt.PenStyle.DashLine))
        painter.drawLine(place(last - 0.5, float(values.min())), place(last - 0.5, float(values.max())))
        _line(painter, place, steps[:last], series[k], DATA, 1.4)
        end = place(last - 1, float(series[k][-1]))
        for value, color in ((samples["actual"][k], TRUTH), (samples["predicted"][k], MODEL)):
            point = place(last, float(value))
            painter.setPen(QtGui.QPen(color, 1.0, QtCore.Qt.PenStyle.DotLine))
            painter.drawLine(end, point)
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(point, 3.6, 3.6)


def _axes(painter, rect: QtCore.QRectF, xs, ys, square: bool = False):
    """Draw the plot box; return it and a function mapping data (x, y) to a point in it."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    x_lo, x_hi = float(xs.min()), float(xs.max())
    y_lo, y_hi = float(ys.min()), float(ys.max())
    box = QtCore.QRectF(rect)
    if square:
        side = min(rect.width(), rect.height())
        box = QtCore.QRectF(rect.center().x() - side / 2, rect.top(), side, side)
    painter.setPen(QtGui.QPen(AXIS, 1))
    painter.setBrush(PLOT_BG)
    painter.drawRect(box)
    inner = box.adjusted(6, 6, -6, -6)
    x_span, y_span = (x_hi - x_lo) or 1.0, (y_hi - y_lo) or 1.0

    def place(x: float, y: float) -> QtCore.QPointF:
        return QtCore.QPointF(
            inner.left() + (x - x_lo) / x_span * inner.width(), inner.bottom() - (y - y_lo) / y_span * inner.height()
        )

    return box, place


def _dots(painter, place, xs, ys, color: QtGui.QColor, radius: float) -> None:
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(color)
    for x, y in zip(xs, ys, strict=False):
        painter.drawEllipse(place(float(x), float(y)), radius, radius)


def _line(painter, place, xs, ys, color: QtGui.QColor, width: float) -> None:
    path = QtGui.QPainterPath()
    for i, (x, y) in enumerate(zip(xs, ys, strict=False)):
        point = place(float(x), float(y))
        path.moveTo(point) if i == 0 else path.lineTo(point)
    painter.setPen(QtGui.QPen(color, width))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawPath(path)


def _axis_labels(painter, box: QtCore.QRectF, x_label: str, y_label: str) -> None:
    painter.setPen(LABEL)
    font = painter.font()
    font.setPointSizeF(8.0)
    painter.setFont(font)
    painter.drawText(
        QtCore.QRectF(box.left(), box.bottom() + 1, box.width(), 14), QtCore.Qt.AlignmentFlag.AlignCenter, x_label
    )
    painter.save()
    painter.translate(box.left() - 4, box.center().y())
    painter.rotate(-90)
    painter.drawText(
        QtCore.QRectF(-box.height() / 2, -14, box.height(), 14), QtCore.Qt.AlignmentFlag.AlignCenter, y_label
    )
    painter.restore()


def _range_labels(painter, box: QtCore.QRectF, xs, ys) -> None:
    """The smallest and largest value at the ends of each axis, so the units can be read."""
    painter.setPen(LABEL)
    font = painter.font()
    font.setPointSizeF(7.0)
    painter.setFont(font)
    left, right = QtCore.Qt.AlignmentFlag.AlignLeft, QtCore.Qt.AlignmentFlag.AlignRight
    below = QtCore.QRectF(box.left() + 2, box.bottom() + 1, box.width() - 4, 12)
    painter.drawText(below, left, f"{float(np.min(xs)):.3g}")
    painter.drawText(below, right, f"{float(np.max(xs)):.3g}")
    inside = box.adjusted(4, 2, -4, -2)
    painter.drawText(inside, left | QtCore.Qt.AlignmentFlag.AlignTop, f"{float(np.max(ys)):.3g}")
    painter.drawText(inside, left | QtCore.Qt.AlignmentFlag.AlignBottom, f"{float(np.min(ys)):.3g}")
