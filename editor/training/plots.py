"""Live plots of a run (pyqtgraph): loss, accuracy, learning rate, gradient norms, dead ReLUs.

Every plot has the same x axis, epochs (a batch at step s sits at s / batches per epoch), so
per-batch and per-epoch curves line up. (The plots are not x-linked: a link would repaint
all five whenever the loss plot grows, at 20 Hz.) Points go into
growable numpy arrays as they arrive; curves are redrawn at most `REDRAW_MS` apart (about
20 Hz), clipped to the view and downsampled, so 100k points stay smooth.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

REDRAW_MS = 25  # a tick redraws one plot; the loss plot gets every other tick (~20 Hz)
SMOOTHING = 0.9  # exponential moving average of the per-batch loss, debiased

BACKGROUND = "#1d2026"
AXIS = "#8a90a0"
TITLE = "#d6dae3"
TRAIN = (91, 140, 255)
VALIDATION = (255, 166, 77)
PALETTE = [
    (91, 140, 255),
    (240, 90, 120),
    (40, 190, 180),
    (245, 170, 50),
    (160, 120, 255),
    (90, 200, 110),
    (255, 120, 200),
    (150, 200, 255),
    (200, 200, 120),
    (255, 140, 90),
]
LR_MARK = (255, 214, 90)

pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=AXIS)


def color(rgb: tuple[int, int, int], alpha: int = 255) -> QtGui.QColor:
    return QtGui.QColor(rgb[0], rgb[1], rgb[2], alpha)


class Series:
    """x and y values in arrays that grow by doubling; `view()` is a copy-free slice."""

    def __init__(self, capacity: int = 1024):
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0

    def extend(self, xs: Iterable[float], ys: Iterable[float]) -> None:
        xs, ys = np.asarray(list(xs), dtype=float), np.asarray(list(ys), dtype=float)
        need = self.n + len(xs)
        if need > len(self.x):
            size = max(need, 2 * len(self.x))
            self.x = np.resize(self.x, size)
            self.y = np.resize(self.y, size)
        self.x[self.n : need] = xs
        self.y[self.n : need] = ys
        self.n = need

    def append(self, x: float, y: float) -> None:
        self.extend((x,), (y,))

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class Curve:
    """One drawn line and its data; redrawn only when it received points."""

    def __init__(self, item: pg.PlotDataItem, name: str):
        self.item = item
        self.name = name
        self.series = Series()
        self.dirty = False

    def extend(self, xs, ys) -> None:
        self.series.extend(xs, ys)
        self.dirty = True

    def append(self, x: float, y: float) -> None:
        self.series.append(x, y)
        self.dirty = True

    def redraw(self) -> None:
        if self.dirty:
            x, y = self.series.view()
            self.item.setData(x, y)
            self.dirty = False

    @property
    def count(self) -> int:
        return self.series.n


class Plot(pg.PlotWidget):
    """A themed plot: title, axis labels, legend, grid, and 'Save as PNG…' in its menu."""

    def __init__(
        self,
        title: str,
        y_label: str,
        log_y: bool = False,
        legend_at: tuple[int, int] | None = (-8, 8),
        x_label: str | None = "epoch",
        parent=None,
    ):
        super().__init__(parent=parent)
        self.title = title
        self.title_legend: list[str] = []  # small plots name their curves in the title instead of a box
        self.legend_in_title = legend_at is None
        self.setMinimumSize(140, 100)
        # the view paints every pixel: without these, each repaint also repaints the (styled)
        # dock, tab widget and main window behind it
        for widget in (self, self.viewport()):
            widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        item = self.getPlotItem()
        self._show_title()
        if x_label:
            item.setLabel("bottom", x_label, color=AXIS)
        item.setLabel("left", y_label, color=AXIS)
        # no grid: pyqtgraph redraws it with the axes whenever the range moves, which tripled
        # the cost of painting the loss plot (3.6 -> 10.5 ms); the axes' ticks carry the scale
        item.setLogMode(False, log_y)
        item.hideButtons()
        item.getViewBox().setDefaultPadding(0.03)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen("#3a3f4b"))
            axis.setTextPen(pg.mkPen(AXIS))
            axis.enableAutoSIPrefix(False)
        self.legend = item.addLegend(
            offset=legend_at or (-8, 8),
            labelTextColor=TITLE,
            labelTextSize="8pt",
            brush=pg.mkBrush(29, 32, 38, 200),
            pen=pg.mkPen("#353945"),
            verSpacing=-4,
        )
        self.legend.setVisible(not self.legend_in_title)
        self.curves: dict[str, Curve] = {}
        self.marks: list[pg.InfiniteLine] = []
        self.symbols = True  # markers on per-epoch points (off for long runs: they would crowd)
        menu = item.getViewBox().menu
        menu.addSeparator()
        save = menu.addAction("Save plot as PNG…")
        save.triggered.connect(self.save_png_dialog)
        self.empty_text = pg.TextItem("", color=AXIS, anchor=(0.5, 0.5))
        self.empty_text.setZValue(5)

    def curve(
        self,
        key: str,
        name: str,
        rgb: tuple[int, int, int],
        width: float = 1.6,
        alpha: int = 255,
        dashed: bool = False,
        symbol: str | None = None,
        legend: bool = True,
        fast: bool = False,
    ) -> Curve:
        """The curve `key`, created on first use."""
        if key in self.curves:
            return self.curves[key]
        pen = pg.mkPen(
            color(rgb, alpha),
            width=width,
            style=QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine,
        )
        kwargs: dict[str, Any] = {}
        if symbol and self.symbols:
            kwargs = {"symbol": symbol, "symbolSize": 5, "symbolBrush": color(rgb), "symbolPen": pg.mkPen(None)}
        item = pg.PlotDataItem(
            pen=pen,
            name=name if legend and not self.legend_in_title else None,
            antialias=not fast,
            skipFiniteCheck=fast,
            **kwargs,
        )
        if legend and self.legend_in_title:
            self.title_legend.append(f"<span style='color:{color(rgb).name()}'>━ {name}</span>")
            self._show_title()
        self.addItem(item)
        # after addItem, which applies the plot's own (off) modes to the item
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
        item.opts["autoDownsampleFactor"] = 1.5  # points per pixel column: plenty, and cheap to paint
        curve = Curve(item, name)
        self.curves[key] = curve
        return curve

    def _show_title(self) -> None:
        names = "&nbsp;&nbsp;".join(self.title_legend)
        extra = f"&nbsp;&nbsp;&nbsp;<span style='font-size:8pt; font-weight:400'>{names}</span>" if names else ""
        self.getPlotItem().setTitle(
            f"<span style='color:{TITLE}; font-size:10pt; font-weight:600'>{self.title}</span>{extra}"
        )

    def mark(self, x: float, text: str) -> None:
        """A vertical line with a label, e.g. where the learning rate was changed; the label
        sits on the side of the line with more room."""
        low, high = self.getViewBox().viewRange()[0]
        side = 0 if (x - low) < 0.5 * (high - low) else 1
        line = pg.InfiniteLine(
            pos=x,
            angle=90,
            pen=pg.mkPen(color(LR_MARK, 200), width=1.2, style=QtCore.Qt.PenStyle.DashLine),
            label=text,
            labelOpts={
                "position": 0.45,
                "color": color(LR_MARK),
                "fill": pg.mkBrush(29, 32, 38, 210),
                "anchors": [(side, 0.5), (side, 0.5)],
            },
        )
        self.addItem(line)
        self.marks.append(line)

    def clear_all(self) -> None:
        for curve in self.curves.values():
            self.removeItem(curve.item)
        for line in self.marks:
            self.removeItem(line)
        self.curves.clear()
        self.marks.clear()
        self.legend.clear()
        self.title_legend.clear()
        self._show_title()

    @property
    def dirty(self) -> bool:
        return any(curve.dirty for curve in self.curves.values())

    def redraw(self) -> None:
        for curve in self.curves.values():
            curve.redraw()

    def point_count(self) -> int:
        return sum(c.count for c in self.curves.values())

    def save_png(self, path: str) -> bool:
        return self.grab().save(path)

    def save_png_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, f"Save {self.title} plot", f"{self.title.lower().replace(' ', '-')}.png", "PNG images (*.png)"
        )
        if path:
            self.save_png(path if path.lower().endswith(".png") else path + ".png")


def _metric_keys(row: dict[str, Any], prefix: str, ids: list[str]) -> list[tuple[str, str]]:
    """(row key, label) for a metric: one key when there is one node, one per node otherwise."""
    if len(ids) > 1:
        return [(f"{prefix}_{node_id}", node_id) for node_id in ids if f"{prefix}_{node_id}" in row]
    return [(prefix, "")] if prefix in row else []


class LivePlots(QtWidgets.QWidget):
    """Loss (big), accuracy, learning rate, gradient norm and dead ReLU plots of one run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss = Plot("Loss", "loss")
        self.accuracy = Plot("Accuracy", "accuracy", legend_at=(-8, -8))
        self.lr = Plot("Learning rate", "lr", legend_at=(-6, -4), x_label=None)
        self.grad = Plot("Gradient norm", "per layer (log scale)", log_y=True, legend_at=(8, -8))
        self.dead = Plot("Dead ReLU units", "% dead", legend_at=(-6, 4), x_label=None)
        self.plots = [self.loss, self.accuracy, self.lr, self.grad, self.dead]
        self.accuracy.setYRange(0, 1.02, padding=0)
        self.dead.setYRange(0, 100, padding=0.02)
        layout = self.grid = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(self.loss, 0, 0, 2, 1)
        layout.addWidget(self.accuracy, 0, 1, 2, 1)
        layout.addWidget(self.grad, 0, 2, 2, 1)
        layout.addWidget(self.lr, 0, 3)
        layout.addWidget(self.dead, 1, 3)
        for column, stretch in enumerate((5, 3, 3, 3)):
            layout.setColumnStretch(column, stretch)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._tick)
        self._dirty = False
        self._turn = 0
        self.reset({})

    # -- a run ------------------------------------------------------------------------------------
    def reset(self, run: dict[str, Any]) -> None:
        for plot in self.plots:
            plot.clear_all()
        self.run = run
        self.losses: list[str] = run.get("losses", [])
        self.optimizers: list[str] = [o["id"] for o in run.get("optimizers", [])]
        self.per_epoch = max(1, int(run.get("batches_per_epoch") or 1))
        self.smoothed: dict[str, tuple[float, int]] = {}
        self.layer_colors: dict[str, tuple[int, int, int]] = {}
        self.last_step = int(run.get("step") or 0)
        self.lr_max = 0.0
        self.accuracy.setVisible(bool(run.get("accuracy")) or not run)
        # dead ReLUs are counted on the validation set
        self.dead.setVisible(bool(run.get("relus")) and bool(run.get("num_val")) or not run)
        self.grid.setColumnStretch(1, 3 if self.accuracy.isVisibleTo(self) or not run else 0)
        epochs = int(run.get("epochs") or 0)
        for plot in self.plots:
            plot.symbols = epochs <= 60
            if epochs:
                # the whole run from the start: the axes stay put and the curves fill them in
                # (a growing range would re-layout every axis on every frame)
                plot.setXRange(0, epochs, padding=0.02)
                plot.enableAutoRange(x=False, y=plot is not self.dead)
            else:
                plot.enableAutoRange(x=True, y=plot is not self.dead)
        self.dead.setYRange(0, 100, padding=0.02)
        self._dirty = True
        self.redraw()

    def _loss_color(self, index: int, several: bool) -> tuple[int, int, int]:
        return PALETTE[index % len(PALETTE)] if several else TRAIN

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Per-batch metrics: raw and smoothed loss, learning rate."""
        if not rows:
            return
        steps = [row["step"] / self.per_epoch for row in rows]
        keys = _metric_keys(rows[0], "loss", self.losses)
        several = len(keys) > 1
        for index, (key, label) in enumerate(keys):
            rgb = self._loss_color(index, several)
            name = f"{label} " if label else ""
            raw = self.loss.curve(f"raw:{key}", f"{name}batch", rgb, width=1.0, alpha=55, legend=False, fast=True)
            smooth = self.loss.curve(
                f"smooth:{key}", f"{name}train (smoothed)" if label else "train (smoothed)", rgb, width=2.0
            )
            values = [row.get(key, math.nan) for row in rows]
            raw.extend(steps, values)
            smooth.extend(steps, self._smooth(key, values))
        for index, (key, label) in enumerate(_metric_keys(rows[0], "lr", self.optimizers)):
            rgb = PALETTE[index % len(PALETTE)] if label else TRAIN
            values = [row.get(key, math.nan) for row in rows]
            self.lr.curve(key, label or "lr", rgb, width=1.8, legend=bool(label)).extend(steps, values)
            top = max((v for v in values if math.isfinite(v)), default=0.0)
            if top > self.lr_max:  # from zero, with room above: a flat line reads as flat
                self.lr_max = top
                self.lr.setYRange(0, top * 1.3, padding=0)
        self.last_step = rows[-1]["step"]
        self._dirty = True

    def _smooth(self, key: str, values: list[float]) -> list[float]:
        value, count = self.smoothed.get(key, (0.0, 0))
        out = []
        for v in values:
            if not math.isfinite(v):
                out.append(math.nan)
                continue
            count += 1
            value = SMOOTHING * value + (1 - SMOOTHING) * v
            out.append(value / (1 - SMOOTHING**count))
        self.smoothed[key] = (value, count)
        return out

    def add_epoch(self, row: dict[str, Any]) -> None:
        """Per-epoch metrics: train and validation loss and accuracy, gradient norms, dead ReLUs."""
        epoch = float(row["epoch"])
        keys = _metric_keys(row, "train_loss", self.losses)
        several = len(keys) > 1
        for index, (key, label) in enumerate(keys):
            rgb = self._loss_color(index, several)
            name = f"{label} " if label else ""
            self.loss.curve(f"epoch:{key}", f"{name}train (epoch)", rgb, width=1.4, symbol="o").append(epoch, row[key])
            val_key = "val" + key[5:]
            if val_key in row:
                val_rgb = rgb if several else VALIDATION
                self.loss.curve(
                    f"epoch:{val_key}", f"{name}validation", val_rgb, width=2.0, dashed=several, symbol="s"
                ).append(epoch, row[val_key])
        accuracy_ids = self.run.get("accuracy", [])
        for index, (key, label) in enumerate(_metric_keys(row, "train_acc", accuracy_ids)):
            name = f"{label} " if label else ""
            self.accuracy.curve(
                f"train:{key}", f"{name}train", PALETTE[index] if label else TRAIN, width=2.0, symbol="o"
            ).append(epoch, row[key])
            val_key = "val" + key[5:]
            if val_key in row:
                self.accuracy.curve(f"val:{key}", f"{name}validation", VALIDATION, width=2.0, symbol="s").append(
                    epoch, row[val_key]
                )
        for layer, norm in (row.get("grad_norm") or {}).items():
            if norm and norm > 0 and math.isfinite(norm):
                self.grad.curve(layer, layer, self._layer_color(layer), width=1.8, symbol="o").append(epoch, norm)
        for node_id, fraction in (row.get("dead_relu") or {}).items():
            self.dead.curve(node_id, node_id, self._layer_color(node_id), width=1.8, symbol="o").append(
                epoch, 100.0 * fraction
            )
        self._dirty = True

    def _layer_color(self, node_id: str) -> tuple[int, int, int]:
        if node_id not in self.layer_colors:
            self.layer_colors[node_id] = PALETTE[len(self.layer_colors) % len(PALETTE)]
        return self.layer_colors[node_id]

    def mark_lr_change(self, event: dict[str, Any]) -> None:
        x = event["step"] / self.per_epoch
        text = f"lr {event['from']:.3g} → {event['to']:.3g}"
        if len(self.optimizers) > 1:
            text = f"{event['optimizer']}: {text}"
        self.loss.mark(x, text)
        self.lr.mark(x, f"→ {event['to']:.3g}")

    # -- drawing ----------------------------------------------------------------------------------
    def start_redrawing(self) -> None:
        self._timer.start()

    def stop_redrawing(self) -> None:
        self._timer.stop()
        self.redraw()

    def redraw(self, everything: bool = True) -> None:
        """Bring the curves up to date: every plot, or (a timer tick) the loss plot or one other
        plot in turn, so a tick repaints one plot however fast the epochs go."""
        if not self._dirty:
            return
        if everything:
            for plot in self.plots:
                plot.redraw()
            self._dirty = False
            return
        # one plot per tick: Qt paints every widget updated in one event-loop pass together, so
        # spreading them keeps each pass short (the loss plot every other tick, ~20 Hz)
        self._turn += 1
        others = [p for p in self.plots[1:] if p.dirty]
        if self._turn % 2 and others:
            others[(self._turn // 2) % len(others)].redraw()
        else:
            self.loss.redraw()
        self._dirty = bool(others) or self.loss.dirty

    def _tick(self) -> None:
        self.redraw(everything=False)

    def loss_points(self) -> int:
        """Points received by the loss plot (tests watch this grow, and stop while paused)."""
        return self.loss.point_count()
