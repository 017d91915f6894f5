"""Live plots of a run (pyqtgraph): loss, accuracy, learning rate, gradient norms, dead ReLUs.

Every plot has the same x axis, epochs (a batch at step s sits at s / batches per epoch), so
per-batch and per-epoch curves line up. (The plots are not x-linked: a link would repaint
all five whenever the loss plot grows, at 20 Hz.) Points go into
growable numpy arrays as they arrive; curves are redrawn at most `REDRAW_MS` apart (about
20 Hz), clipped to the view and downsampled, so 100k points stay smooth.
"""

from __future__ import annotations

import contextlib
import html
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from editor.training.decimate import bin_size, decimate
from editor.training.pacing import Pacer

REDRAW_MS = 25  # a tick redraws one plot; the loss plot gets every other tick (~20 Hz)
REDRAW_MAX_MS = 250  # on a busy machine ticks back off up to this (see editor.training.pacing)
COARSE_FACTOR = 4  # backed off to 4x the base interval (100 ms): curves drawn with half the detail, and the user told
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
        # finite y extremes so far (and the smallest positive y, for a log axis): kept as points
        # arrive, so a live plot can place its y range without scanning every point each frame
        self.low = self.high = self.low_positive = math.nan

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
        finite = ys[np.isfinite(ys)]
        if finite.size:
            self.low = np.fmin(self.low, finite.min())
            self.high = np.fmax(self.high, finite.max())
            positive = finite[finite > 0]
            if positive.size:
                self.low_positive = np.fmin(self.low_positive, positive.min())

    def append(self, x: float, y: float) -> None:
        """One point (a per-epoch curve's): without extend's array conversions, ~5x cheaper; a run
        appends to every per-epoch curve each epoch."""
        if self.n == len(self.x):
            self.x = np.resize(self.x, max(16, 2 * self.n))
            self.y = np.resize(self.y, max(16, 2 * self.n))
        y = float(y)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        if math.isfinite(y):
            self.low = y if math.isnan(self.low) else min(self.low, y)
            self.high = y if math.isnan(self.high) else max(self.high, y)
            if y > 0:
                self.low_positive = y if math.isnan(self.low_positive) else min(self.low_positive, y)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class Curve:
    """One drawn line and its data; redrawn only when it received points.

    While its plot is live, a curve is handed to the painter min-max decimated (`decimate.py`), so
    drawing it costs the same at batch 100 as at batch 100,000 and its newest points stay exact. A
    finished run's curve gets every point: pyqtgraph then picks a per-batch curve's detail for the
    zoom the user chooses, and a per-epoch curve is drawn whole (every epoch's value is shown)."""

    def __init__(self, item: pg.PlotDataItem, name: str, per_batch: bool = False):
        self.item = item
        self.name = name
        self.series = Series()
        self.dirty = False
        self.per_batch = per_batch
        self.drawn_points = 0  # points handed to the painter by the last redraw

    def extend(self, xs, ys) -> None:
        self.series.extend(xs, ys)
        self.dirty = True

    def append(self, x: float, y: float) -> None:
        self.series.append(x, y)
        self.dirty = True

    def redraw(self, pixels: float | None = None, coarse: bool = False) -> None:
        """`pixels`: the plot's width while live (None: every point); `coarse`: half the detail (a busy machine)."""
        if self.dirty:
            x, y = self.series.view()
            if pixels is not None:
                k = bin_size(len(x), pixels * fraction_covered(x, self.item), 0.5 if coarse else 1.0)
                x, y = decimate(x, y, k)
            self.item.setData(x, y)
            self.drawn_points = len(x)
            self.dirty = False

    @property
    def count(self) -> int:
        return self.series.n


def fraction_covered(x: np.ndarray, item: pg.PlotDataItem) -> float:
    """The points' x span over the view's x range: under 1 while a live run fills its axis, over 1
    when the user has zoomed in (more detail then, and pyqtgraph clips to the view)."""
    view = item.getViewBox()
    if view is None or len(x) < 2:
        return 1.0
    low, high = view.viewRange()[0]
    return max(0.0, (x[-1] - x[0]) / (high - low)) if high > low else 1.0


class LogAxis(pg.AxisItem):
    """A log-scale axis that labels only the ticks that fit: every digit of a decade, 1-2-5,
    1-3, decades, or every n-th decade, whichever is densest with `MIN_GAP_PX` between labels
    (pyqtgraph labels every minor tick, so 0.8 and 0.9 overprint on a short axis)."""

    MIN_GAP_PX = 20
    MANTISSAS = ((1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 5), (1, 3), (1,))

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 (pyqtgraph's name)
        return [(None, log_tick_values(minVal, maxVal, size, self.MIN_GAP_PX))]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [f"{10.0**v * scale:.3g}" for v in values]


def log_tick_values(low: float, high: float, pixels: float, min_gap: float) -> list[float]:
    """Tick positions (log10 units) between `low` and `high` at least `min_gap` pixels apart."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low or pixels <= 0:
        return []
    per_decade = pixels / (high - low)
    for mantissas in LogAxis.MANTISSAS:
        steps = [*mantissas[1:], 10]
        gap = min(math.log10(b / a) for a, b in zip(mantissas, steps, strict=True))
        if gap * per_decade >= min_gap:
            values = [d + math.log10(m) for d in range(math.floor(low), math.ceil(high) + 1) for m in mantissas]
            values = [v for v in values if low <= v <= high]
            if len(values) >= 2 or mantissas is LogAxis.MANTISSAS[0]:
                break
    else:  # even decades crowd: every n-th decade
        every = math.ceil(min_gap / per_decade)
        return [float(d) for d in range(math.ceil(low), math.floor(high) + 1) if d % every == 0]
    if len(values) >= 2:
        return values
    # less than a decade with no round digit inside: evenly spaced plain values
    lo, hi = 10.0**low, 10.0**high
    count = max(1, int(pixels // (2 * min_gap)))
    raw = (hi - lo) / count
    step = 10.0 ** math.floor(math.log10(raw))
    step *= next(f for f in (1, 2, 5, 10) if f * step >= raw)
    first = math.ceil(lo / step) * step
    return [math.log10(first + i * step) for i in range(int((hi - first) / step) + 1)]


class FittingAxis(pg.AxisItem):
    """A linear axis whose labels never overprint: pyqtgraph's tick spacing, widened to the next
    1-2-5 step until neighbouring labels stand `MIN_GAP_PX` apart (pyqtgraph always labels its
    major ticks, so 0 100 200 300 on a 70-pixel axis read "100200300")."""

    MIN_GAP_PX = 5  # about a space: labels read as separate numbers

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's name)
        levels = super().tickSpacing(minVal, maxVal, size)
        low, high = min(minVal, maxVal), max(minVal, maxVal)
        if not levels or size <= 0 or not (math.isfinite(low) and math.isfinite(high)) or high == low:
            return levels
        major = levels[0][0]
        if self._labels_fit(low, high, size, major):
            return levels  # pyqtgraph's minor labels are kept apart by its own fill limits
        for _ in range(60):
            major = next_step_125(major)
            if self._labels_fit(low, high, size, major):
                break
        minor = major / (2 if round(major / 10 ** math.floor(math.log10(major))) == 2 else 5)
        return [(major, 0.0), (minor, 0.0)] if minor * size / (high - low) >= 4 else [(major, 0.0)]

    def _labels_fit(self, low: float, high: float, size: float, spacing: float) -> bool:
        """Whether the labels of ticks `spacing` apart leave `MIN_GAP_PX` between neighbours."""
        first, last = math.ceil(low / spacing), math.floor(high / spacing)
        if last - first > size / 4:  # more ticks than a label could ever fit beside
            return False
        values = [k * spacing for k in range(first, last + 1)]
        if len(values) < 2:
            return True
        strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or QtGui.QFont())
        vertical = self.orientation in ("left", "right")
        # pyqtgraph's own measure of a label's height: its bounding box times 0.8
        extents = [metrics.height() * 0.8 if vertical else metrics.horizontalAdvance(s) for s in strings]
        pixels_per_unit = size / (high - low)
        return all(
            (b - a) * pixels_per_unit >= (wa + wb) / 2 + self.MIN_GAP_PX
            for a, b, wa, wb in zip(values, values[1:], extents, extents[1:], strict=False)
        )


def next_step_125(step: float) -> float:
    """The next larger of the steps 1, 2, 5, 10, 20, 50… × a power of ten."""
    power = 10.0 ** math.floor(math.log10(step))
    mantissa = step / power
    factor = next((f for f in (2, 5, 10) if f > mantissa + 1e-9), 20)
    return factor * power


LEGEND_FONT_PT = 8


def _title_html(title: str) -> str:
    return f"<span style='color:{TITLE}; font-size:10pt; font-weight:600'>{html.escape(title)}</span>"


def _entry_html(body: str) -> str:
    return f"<span style='color:{TITLE}; font-size:{LEGEND_FONT_PT}pt; font-weight:400'>{body}</span>"


def _html_width(text: str) -> float:
    document = QtGui.QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(text)
    return document.idealWidth()


class Plot(pg.PlotWidget):
    """A themed plot: title, axis labels, grid, and 'Save as PNG…' in its menu. The legend and
    notes (a changed learning rate) are written under the title, flowed to the plot's width, so
    they never cover a curve and an empty legend takes no room."""

    def __init__(
        self,
        title: str,
        y_label: str,
        log_y: bool = False,
        x_label: str | None = "epoch",
        parent=None,
    ):
        axes = {"bottom": FittingAxis("bottom"), "left": LogAxis("left") if log_y else FittingAxis("left")}
        super().__init__(parent=parent, axisItems=axes)
        self.title = title
        self.legend_entries: list[tuple[str, str]] = []  # (plain text, html) per curve
        self.notes: list[str] = []  # plain text of each mark's note, e.g. "lr 0.001 → 0.0003 at epoch 12"
        self.setMinimumSize(150, 110)
        # the view paints every pixel: without these, each repaint also repaints the (styled)
        # dock, tab widget and main window behind it
        for widget in (self, self.viewport()):
            widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        item = self.getPlotItem()
        # the title (with the legend under it) spans the axis columns too: more room per line
        item.layout.removeItem(item.titleLabel)
        item.layout.addItem(item.titleLabel, 0, 0, 1, 3)
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
        self.curves: dict[str, Curve] = {}
        self.marks: list[pg.InfiniteLine] = []
        self.symbols = True  # markers on per-epoch points (off for long runs: they would crowd)
        self.log_y = log_y
        self.holding_y = False  # while live: the y range moves only when the data needs it
        self.live = False  # a run is training: curves are drawn decimated (see Curve)
        self._paint_ms = 0.0
        self.titles_held = False  # many legend entries arriving at once: the title is laid out once, after
        self._title_stale = False
        menu = item.getViewBox().menu
        menu.addSeparator()
        save = menu.addAction("Save plot as PNG…")
        save.triggered.connect(self.save_png_dialog)
        self.empty_text = pg.TextItem("", color=AXIS, anchor=(0.5, 0.5))
        self.empty_text.setZValue(5)
        self._show_title()

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
        per_batch: bool = False,
    ) -> Curve:
        """The curve `key`, created on first use (`per_batch`: one point a batch, so it may be long)."""
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
        item = pg.PlotDataItem(pen=pen, antialias=not fast, skipFiniteCheck=fast, **kwargs)
        if legend:
            glyph = "╍╍" if dashed else "━━"
            self.legend_entries.append(
                (f"{glyph} {name}", f"<span style='color:{color(rgb).name()}'>{glyph}</span>&nbsp;{html.escape(name)}")
            )
            self._show_title()
        self.addItem(item)
        # after addItem, which applies the plot's own (off) modes to the item
        item.setClipToView(True)
        item.opts["autoDownsampleFactor"] = 1.5  # points per pixel column: plenty, and cheap to paint
        curve = Curve(item, name, per_batch=per_batch or fast)
        self._set_downsampling(curve)
        self.curves[key] = curve
        return curve

    def _set_downsampling(self, curve: Curve) -> None:
        """pyqtgraph's own downsampling only for a finished run's per-batch curves: while live the
        curves come decimated already (and pyqtgraph's would drop their newest points)."""
        curve.item.setDownsampling(auto=curve.per_batch and not self.live, method="peak")

    def set_live(self, live: bool) -> None:
        """While live the curves are decimated to the plot's width; after, they get every point."""
        self.live = live
        for curve in self.curves.values():
            self._set_downsampling(curve)
            curve.dirty = curve.dirty or bool(curve.count)

    def _legend_cells(self) -> dict[str, str]:
        """Plain text -> html of every legend entry and note, in order."""
        cells = dict(self.legend_entries)
        for note in self.notes:
            cells[f"┆ {note}"] = f"<span style='color:{color(LR_MARK).name()}'>┆&nbsp;{html.escape(note)}</span>"
        return cells

    def legend_lines(self, width: float | None = None) -> list[list[str]]:
        """The title, then the legend entries and notes, as lines of plain text that fit `width`
        pixels (measured as the title label will render them)."""
        width = (width if width is not None else self.width()) - 28
        lines: list[list[str]] = [[self.title]]
        used = _html_width(_title_html(self.title))
        gap = _html_width(_entry_html("&nbsp;" * 4))
        for text, cell in self._legend_cells().items():
            needed = gap + _html_width(_entry_html(cell))
            if used + needed > width and lines[-1]:
                lines.append([])
                used, needed = 0.0, needed - gap
            lines[-1].append(text)
            used += needed
        return lines

    def _show_title(self) -> None:
        if self.titles_held:
            self._title_stale = True
            return
        self._title_stale = False
        cells = self._legend_cells()
        lines = self.legend_lines()
        rows = []
        for index, line in enumerate(lines):
            body = "&nbsp;" * 4 + "&nbsp;&nbsp;&nbsp;&nbsp;".join(cells[t] for t in line[1:]) if index == 0 else ""
            if index == 0:
                rows.append(_title_html(self.title) + (_entry_html(body) if len(line) > 1 else ""))
            else:
                rows.append(_entry_html("&nbsp;&nbsp;&nbsp;&nbsp;".join(cells[t] for t in line)))
        item = self.getPlotItem()
        item.setTitle("<br>".join(rows))
        # room for every line; and the label must not widen the plot (pyqtgraph sets its
        # minimum width to the text's), the text is already flowed to the width
        height = 26 + 15 * (len(lines) - 1)
        item.titleLabel.setMaximumHeight(height)
        item.titleLabel.setMinimumWidth(0)
        item.layout.setRowFixedHeight(0, height)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        started = time.perf_counter()
        super().paintEvent(event)
        self._paint_ms += (time.perf_counter() - started) * 1000

    def take_paint_ms(self) -> float:
        """Milliseconds spent painting since the last call (the live plots' pacer counts it as work)."""
        spent, self._paint_ms = self._paint_ms, 0.0
        return spent

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # pyqtgraph calls this with None while it builds the view, before the title exists
        if event is not None and event.size().width() != event.oldSize().width():
            self._show_title()

    def mark(self, x: float, note: str | None = None) -> None:
        """A vertical dashed line at `x`, e.g. where the learning rate was changed; its note goes
        under the title with the legend, so it never covers a curve."""
        line = pg.InfiniteLine(
            pos=x, angle=90, pen=pg.mkPen(color(LR_MARK, 200), width=1.2, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.addItem(line)
        self.marks.append(line)
        if note:
            self.notes.append(note)
            self._show_title()

    def clear_all(self) -> None:
        for curve in self.curves.values():
            self.removeItem(curve.item)
        for line in self.marks:
            self.removeItem(line)
        self.curves.clear()
        self.marks.clear()
        self.notes.clear()
        self.legend_entries.clear()
        self._show_title()

    def data_x_end(self) -> float | None:
        """The largest x of any curve, or None when there are no points."""
        ends = [float(np.nanmax(c.series.view()[0])) for c in self.curves.values() if c.count]
        return max(ends) if ends else None

    @property
    def dirty(self) -> bool:
        return any(curve.dirty for curve in self.curves.values())

    def redraw(self, coarse: bool = False) -> None:
        """Hand new points to the painter: decimated to the plot's width while live, else all of them."""
        pixels = self.getPlotItem().getViewBox().width() if self.live else None
        for curve in self.curves.values():
            curve.redraw(pixels, coarse)
        if self.holding_y:
            self._keep_data_in_view()

    def hold_y_range(self, hold: bool) -> None:
        """While a run is live, let the y range move only when the data leaves it or has shrunk to
        under a third of it, instead of pyqtgraph's auto-range refitting it to every new point:
        each refit re-lays the axis ticks, which was about 40 % of painting a plot per frame."""
        self.holding_y = hold
        self.enableAutoRange(y=not hold)
        if hold:
            self._keep_data_in_view()

    def data_y_bounds(self) -> tuple[float, float] | None:
        """The lowest and highest y of every curve, in the axis' units (log10 on a log axis)."""
        series = [c.series for c in self.curves.values() if c.count]
        if self.log_y:
            low = min((s.low_positive for s in series if math.isfinite(s.low_positive)), default=math.nan)
            high = max((s.high for s in series if math.isfinite(s.high) and s.high > 0), default=math.nan)
            return None if math.isnan(low) or math.isnan(high) else (math.log10(low), math.log10(high))
        low = min((s.low for s in series if math.isfinite(s.low)), default=math.nan)
        high = max((s.high for s in series if math.isfinite(s.high)), default=math.nan)
        return None if math.isnan(low) or math.isnan(high) else (float(low), float(high))

    def _keep_data_in_view(self) -> None:
        bounds = self.data_y_bounds()
        if bounds is None:
            return
        low, high = bounds
        view_low, view_high = self.getPlotItem().getViewBox().viewRange()[1]
        span = max(high - low, abs(high) * 1e-3, 1e-9)
        if view_low <= low and high <= view_high and view_high - view_low <= 3 * span:
            return
        room = 0.15 * span  # headroom, so a curve creeping past its edge does not move it every frame
        self.setYRange(low - room, high + room, padding=0)

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
        self.accuracy = Plot("Accuracy", "accuracy")
        self.lr = Plot("Learning rate", "lr", x_label=None)
        self.grad = Plot("Gradient norm (log)", "norm", log_y=True)
        self.dead = Plot("Dead ReLU units", "% dead", x_label=None)
        self.plots = [self.loss, self.accuracy, self.lr, self.grad, self.dead]
        self.accuracy.setYRange(0, 1.02, padding=0)
        self.dead.setYRange(0, 100, padding=0.02)
        layout = self.grid = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        self.stacked = None  # whether learning rate and dead ReLUs share a column (set by _arrange)
        self._arrange(stacked=True)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._tick)
        self.pacer = Pacer(REDRAW_MS, REDRAW_MAX_MS)  # fewer repaints while the machine is busy
        self._dirty = False
        self._turn = 0
        self.reset({})

    def _arrange(self, stacked: bool) -> None:
        """Learning rate above dead ReLUs in one column when there is height for two plots,
        else all plots side by side, so none is squashed to a sliver."""
        if stacked == self.stacked:
            return
        self.stacked = stacked
        layout = self.grid
        for plot in self.plots:
            layout.removeWidget(plot)
        for column in range(6):
            layout.setColumnStretch(column, 0)
        layout.addWidget(self.loss, 0, 0, 2, 1)
        layout.addWidget(self.accuracy, 0, 1, 2, 1)
        layout.addWidget(self.grad, 0, 2, 2, 1)
        if stacked:
            layout.addWidget(self.lr, 0, 3)
            layout.addWidget(self.dead, 1, 3)
        else:
            layout.addWidget(self.lr, 0, 3, 2, 1)
            layout.addWidget(self.dead, 0, 4, 2, 1)
        self._set_stretch()

    def _set_stretch(self) -> None:
        # a hidden plot gives its column's share to the others
        shares = [(self.loss, 5), (self.accuracy, 3), (self.grad, 3), (self.lr, 3), (self.dead, 3)]
        columns = [5, 3, 3, 3] if self.stacked else [5, 3, 3, 3, 3]
        for column, (plot, share) in enumerate(shares[: len(columns)]):
            shown = not plot.isHidden() or (self.stacked and column == 3 and not self.dead.isHidden())
            self.grid.setColumnStretch(column, share if shown else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        two_rows = 2 * self.lr.minimumHeight() + self.grid.spacing() + 8
        self._arrange(stacked=event.size().height() >= two_rows + 40)
        super().resizeEvent(event)

    @contextlib.contextmanager
    def one_title_layout(self) -> Iterator[None]:
        """Clearing a plot and making its curves lays out its title (legend) once, not once per curve:
        a run's start made 13 layouts of 5 titles (measuring each entry's width) in its first 20 ms."""
        outermost = not self.loss.titles_held
        for plot in self.plots:
            plot.titles_held = True
        try:
            yield
        finally:
            if outermost:
                for plot in self.plots:
                    plot.titles_held = False
                    if plot._title_stale:
                        plot._show_title()

    # -- a run ------------------------------------------------------------------------------------
    def reset(self, run: dict[str, Any]) -> None:
        with self.one_title_layout():
            self._reset(run)

    def _reset(self, run: dict[str, Any]) -> None:
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
        self._set_stretch()
        epochs = int(run.get("epochs") or 0)
        for plot in self.plots:
            plot.symbols = epochs <= 60
            if epochs:
                # the whole run from the start: the axes stay put and the curves fill them in
                # (a growing range would re-layout every axis on every frame)
                plot.setXRange(0, epochs, padding=0.02)
                plot.enableAutoRange(x=False, y=plot is not self.dead and not plot.holding_y)
            else:  # no run: empty axes, not the previous graph's ranges
                plot.setXRange(0, 1, padding=0.02)
                if plot not in (self.accuracy, self.dead):
                    plot.setYRange(0, 1, padding=0.02)
                plot.enableAutoRange(x=True, y=plot is not self.dead)
        self.dead.setYRange(0, 100, padding=0.02)
        self._dirty = True
        self.redraw()

    def prepare_curves(self, run: dict[str, Any]) -> None:
        """Create a starting run's loss, accuracy and learning-rate curves before its first batch.

        Creating a curve lays out its plot's legend and costs a few ms per curve (50 ms for the
        first epoch of the digits MLP on a busy machine), which stalled the window just as the
        run got going; made here, when the child reports `started`, the legends are laid out once.
        The names are those the trainer writes (engine.training.plan.metric_names)."""
        with self.one_title_layout():
            self._prepare_curves(run)

    def _prepare_curves(self, run: dict[str, Any]) -> None:
        losses, accuracy = run.get("losses", []), run.get("accuracy", [])
        optimizers = [o["id"] for o in run.get("optimizers", [])]

        def names(prefix: str, ids: list[str]) -> list[str]:
            return [f"{prefix}_{i}" for i in ids] if len(ids) > 1 else [prefix]

        batch = dict.fromkeys([*names("loss", losses), *names("lr", optimizers)], math.nan)
        epoch = dict.fromkeys(
            names("train_loss", losses) + (names("train_acc", accuracy) if accuracy else []), math.nan
        )
        if run.get("num_val"):
            epoch.update({"val" + key[5:]: math.nan for key in epoch})
        self.add_rows([{"step": self.last_step, **batch}])
        self.add_epoch({"epoch": 0, **epoch})
        for plot in (self.loss, self.accuracy, self.lr):
            for curve in plot.curves.values():
                curve.series, curve.dirty = Series(), False  # the curves exist; their points are still to come
        self.smoothed = {}
        # gradient norms and dead units too (in add_epoch's order, so each layer keeps its colour): made
        # at the first epoch, their legends wrapped to a second line and re-laid both plots mid-run
        for layer in run.get("layers", []):
            self.grad.curve(layer, layer, self._layer_color(layer), width=1.8, symbol="o")
        if run.get("num_val"):  # dead units are counted on the validation set
            for node_id in run.get("relus", []):
                self.dead.curve(node_id, node_id, self._layer_color(node_id), width=1.8, symbol="o")

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
                f"smooth:{key}",
                f"{name}train (smoothed)" if label else "train (smoothed)",
                rgb,
                width=2.0,
                per_batch=True,
            )
            values = [row.get(key, math.nan) for row in rows]
            raw.extend(steps, values)
            smooth.extend(steps, self._smooth(key, values))
        for index, (key, label) in enumerate(_metric_keys(rows[0], "lr", self.optimizers)):
            rgb = PALETTE[index % len(PALETTE)] if label else TRAIN
            values = [row.get(key, math.nan) for row in rows]
            self.lr.curve(key, label or "lr", rgb, width=1.8, legend=bool(label), per_batch=True).extend(steps, values)
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
        self.loss.mark(x, f"{text} at epoch {x:.3g}")
        self.lr.mark(x)  # the curve itself shows the new value

    # -- drawing ----------------------------------------------------------------------------------
    def start_redrawing(self) -> None:
        self.pacer.reset()
        for plot in self.plots:
            plot.set_live(True)
        for plot in self.held_plots():
            plot.hold_y_range(True)
        self._timer.start(REDRAW_MS)

    def stop_redrawing(self) -> None:
        self._timer.stop()  # the pacer keeps the interval it reached (the bench reports it); start resets it
        for plot in self.plots:
            plot.set_live(False)  # a finished run's curves get every point
        for plot in self.held_plots():
            plot.hold_y_range(False)  # a finished run is fitted exactly
        self._dirty = True
        self.redraw()
        self.fit_x_to_data()

    @property
    def coarse(self) -> bool:
        """The repaints have backed off a long way (a busy machine): curves are drawn with half the detail."""
        return self._timer.isActive() and self.pacer.backed_off_by(COARSE_FACTOR)

    def pace_note(self) -> str:
        """A few words for the user while the plots update less often than usual, else ''."""
        if not self.coarse:
            return ""
        return f"Busy machine: plots every {self.pacer.interval_ms / 1000:.2g} s"  # the tooltip says the rest

    def held_plots(self) -> list[Plot]:
        """The plots whose y range follows the data (the learning rate and dead-unit plots place theirs)."""
        return [self.loss, self.accuracy, self.grad]

    def fit_x_to_data(self) -> None:
        """The x axis ends where the curves end: a run stopped at epoch 8 of 60 fills the plot
        instead of a corner of it."""
        ends = [end for plot in self.plots if (end := plot.data_x_end()) is not None]
        if ends and max(ends) > 0:
            for plot in self.plots:
                plot.setXRange(0, max(ends), padding=0.02)

    def redraw(self, everything: bool = True) -> None:
        """Bring the curves up to date: every plot, or (a timer tick) the loss plot or one other
        plot in turn, so a tick repaints one plot however fast the epochs go."""
        if not self._dirty:
            return
        if everything:
            for plot in self.plots:
                plot.redraw(self.coarse)
            self._dirty = False
            if not self._timer.isActive():  # a finished, stopped or reopened run
                self.fit_x_to_data()
            return
        # one plot per tick: Qt paints every widget updated in one event-loop pass together, so
        # spreading them keeps each pass short (the loss plot every other tick, ~20 Hz)
        self._turn += 1
        others = [p for p in self.plots[1:] if p.dirty]
        if self._turn % 2 and others:
            others[(self._turn // 2) % len(others)].redraw(self.coarse)
        else:
            self.loss.redraw(self.coarse)
        self._dirty = bool(others) or self.loss.dirty

    def _tick(self) -> None:
        self.pacer.tick_started()
        started = time.perf_counter()
        # a hidden dashboard (another tab, a closed dock) keeps its points and draws them when shown
        if self.isVisible() and not self.visibleRegion().isEmpty():
            self.redraw(everything=False)
        # the work of a tick: handing the points over now, and painting what the last tick changed
        painted = sum(plot.take_paint_ms() for plot in self.plots)
        interval = self.pacer.tick_done((time.perf_counter() - started) * 1000 + painted)
        if interval != self._timer.interval():
            self._timer.setInterval(interval)

    def loss_points(self) -> int:
        """Points received by the loss plot (tests watch this grow, and stop while paused)."""
        return self.loss.point_count()
