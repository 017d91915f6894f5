"""Colours and small painted views the Inspector is built from: an image grid (feature maps,
kernel tiles, probe thumbnails), a heatmap (weight matrices, time steps), bars (units, class
probabilities) and histograms. Each view shows a message in place of data, never an empty box.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor.training.insights_view import to_qimage

PANEL = QtGui.QColor(29, 32, 38)
FRAME = QtGui.QColor(58, 63, 75)
TEXT = QtGui.QColor(226, 229, 236)
DIM = QtGui.QColor(138, 144, 160)
ACCENT = QtGui.QColor(91, 140, 255)
HIGHLIGHT = QtGui.QColor(255, 214, 90)
GOOD = QtGui.QColor(90, 200, 110)
BAD = QtGui.QColor(240, 90, 100)


def font(size: float, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


def _ramp(stops: Sequence[tuple[float, tuple[int, int, int]]]) -> np.ndarray:
    """A 256-entry colour table through the given (position, rgb) stops."""
    xs = np.array([s for s, _ in stops])
    table = np.stack([np.interp(np.linspace(0, 1, 256), xs, [c[i] for _, c in stops]) for i in range(3)], axis=1)
    return table.astype(np.uint8)


# activations: dark to bright (a perceptual ramp like viridis/inferno, readable on the dark panel)
SEQUENTIAL = _ramp(
    [(0.0, (13, 8, 35)), (0.3, (84, 15, 109)), (0.6, (187, 55, 84)), (0.85, (249, 142, 8)), (1.0, (252, 255, 164))]
)
# weights: negative blue, zero near black, positive orange (sign matters more than size)
DIVERGING = _ramp([(0.0, (80, 150, 255)), (0.5, (24, 26, 31)), (1.0, (255, 150, 60))])


def colour_image(values: np.ndarray, lo: float, hi: float, table: np.ndarray = SEQUENTIAL) -> QtGui.QImage:
    """A 2-D array as an RGB image through a colour table, `lo`..`hi` spanning the table."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float32))
    span = hi - lo if hi > lo else 1.0
    index = np.clip((values - lo) / span * 255, 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(table[index])
    h, w = values.shape
    return QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


def colour_images(stack: np.ndarray, lo: float, hi: float, table: np.ndarray = SEQUENTIAL) -> list[QtGui.QImage]:
    """Each 2-D array of a stack [n, h, w] as an image through one colour scale (one numpy pass for all)."""
    stack = np.asarray(stack, dtype=np.float32)
    if not len(stack):
        return []
    span = hi - lo if hi > lo else 1.0
    index = np.clip((np.nan_to_num(stack) - lo) / span * 255, 0, 255).astype(np.uint8)  # as colour_image
    rgb = np.ascontiguousarray(table[index])  # [n, h, w, 3]
    n, h, w = stack.shape
    return [QtGui.QImage(rgb[k].data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy() for k in range(n)]


def grey_image(image: np.ndarray, lo: float, hi: float) -> QtGui.QImage:
    """A picture (H, W) grey or (H, W, 3) colour, `lo`..`hi` mapped to black..white."""
    return to_qimage(np.asarray(image), (lo, hi))


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    top = float(np.nanmax(np.abs(values))) if np.size(values) else 1.0
    return (-top, top) if top > 0 else (-1.0, 1.0)


def value_range(values: np.ndarray) -> tuple[float, float]:
    if not np.size(values):
        return 0.0, 1.0
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def draw_message(painter: QtGui.QPainter, rect: QtCore.QRectF, text: str) -> None:
    painter.setPen(DIM)
    painter.setFont(font(9))
    painter.drawText(
        rect.adjusted(12, 0, -12, 0), QtCore.Qt.AlignmentFlag.AlignCenter | QtCore.Qt.TextFlag.TextWordWrap, text
    )


class View(QtWidgets.QWidget):
    """A painted view with a title line, a subtitle and either its data or a message."""

    TITLE_H = 40

    def __init__(self, title: str, message: str, parent=None):
        super().__init__(parent)
        self.title = title
        self.subtitle = ""
        self.message = message
        self.setMinimumHeight(120)

    def has_data(self) -> bool:
        return False

    def show_message(self, text: str) -> None:
        self.message = text
        self.clear_data()
        self.update()

    def clear_data(self) -> None:
        pass

    def body(self) -> QtCore.QRectF:
        return QtCore.QRectF(self.rect()).adjusted(10, self.TITLE_H, -10, -8)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), PANEL)
        full = QtCore.QRectF(self.rect())
        painter.setPen(TEXT)
        painter.setFont(font(9.5, bold=True))
        painter.drawText(full.adjusted(10, 5, -10, 0), QtCore.Qt.AlignmentFlag.AlignLeft, self.title)
        if self.subtitle:
            painter.setPen(DIM)
            painter.setFont(font(8.5))
            metrics = QtGui.QFontMetricsF(font(8.5))
            text = metrics.elidedText(self.subtitle, QtCore.Qt.TextElideMode.ElideRight, full.width() - 20)
            painter.drawText(full.adjusted(10, 22, -10, 0), QtCore.Qt.AlignmentFlag.AlignLeft, text)
        if not self.has_data():
            draw_message(painter, full.adjusted(0, 20, 0, 0), self.message)
            return
        self.paint_data(painter, self.body())

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        raise NotImplementedError


class ImageGrid(View):
    """Small images in a grid, each with an optional caption; a click selects one (`clicked`)."""

    clicked = QtCore.Signal(int)
    CAPTION_H = 13

    def __init__(self, title: str, message: str, parent=None, max_side: float = 96.0):
        super().__init__(title, message, parent)
        self.images: list[QtGui.QImage] = []
        self.captions: list[str] = []
        self.caption_colours: list[QtGui.QColor | None] = []
        self.selected: int | None = None
        self.max_side = max_side
        self.columns: int | None = None  # fixed columns (kernel tiles: one row per output channel)

    def set_images(
        self,
        images: list[QtGui.QImage],
        captions: list[str] | None = None,
        colours: list[QtGui.QColor | None] | None = None,
        columns: int | None = None,
    ) -> None:
        self.images = images
        self.captions = captions or []
        self.caption_colours = colours or [None] * len(images)
        self.columns = columns
        self.update()

    def has_data(self) -> bool:
        return bool(self.images)

    def clear_data(self) -> None:
        self.images, self.captions = [], []

    def layout(self, body: QtCore.QRectF) -> list[QtCore.QRectF]:
        """Image rectangles: the largest square cells that fit `body` (at most `max_side`)."""
        count = len(self.images)
        caption = self.CAPTION_H if any(self.captions) else 0
        gap = 4.0

        def side_for(columns: int) -> float:
            rows = -(-count // columns)
            return min(body.width() / columns - gap, (body.height() - rows * caption) / rows - gap, self.max_side)

        choices = [self.columns] if self.columns else range(1, count + 1)
        # the largest images; among equals, full rows (8 + 8 rather than 6 + 6 + 4), then fewer columns
        columns = max(choices, key=lambda c: (round(side_for(c), 1), -(-(-count // c) * c - count), -c))
        side = max(3.0, side_for(columns))
        cell_w, cell_h = side + gap, side + gap + caption
        x0 = body.left() + max(0.0, (body.width() - columns * cell_w) / 2)
        return [
            QtCore.QRectF(x0 + (k % columns) * cell_w, body.top() + (k // columns) * cell_h, side, side)
            for k in range(count)
        ]

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setFont(font(7.5))
        for k, (image, target) in enumerate(zip(self.images, self.layout(body), strict=True)):
            painter.drawImage(target, image)
            chosen = k == self.selected
            painter.setPen(QtGui.QPen(HIGHLIGHT if chosen else FRAME, 2 if chosen else 1))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(target)
            if k < len(self.captions) and self.captions[k] and target.width() >= 14:
                painter.setPen(self.caption_colours[k] or DIM)
                caption = QtCore.QRectF(target.left() - 2, target.bottom() + 1, target.width() + 4, self.CAPTION_H)
                metrics = QtGui.QFontMetricsF(font(7.5))
                text = self.captions[k]
                if metrics.horizontalAdvance(text) > caption.width() and "→" in text:
                    text = text.split("→")[-1]  # "7→1" too wide: the prediction alone, coloured right or wrong
                text = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, caption.width())
                painter.drawText(caption, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if not self.images:
            return
        for k, rect in enumerate(self.layout(self.body())):
            if rect.contains(event.position()):
                self.clicked.emit(k)
                return


class Heatmap(View):
    """A matrix as coloured cells (rows top to bottom), with its value range in the subtitle."""

    def __init__(self, title: str, message: str, parent=None):
        super().__init__(title, message, parent)
        self.values: np.ndarray | None = None
        self.image: QtGui.QImage | None = None
        self.row_label = ""
        self.column_label = ""

    def set_matrix(self, values: np.ndarray, diverging: bool, row_label: str = "", column_label: str = "") -> None:
        self.set_image(*heatmap_image(values, diverging), row_label, column_label)

    def set_image(self, values: np.ndarray, image: QtGui.QImage, row_label: str = "", column_label: str = "") -> None:
        """A matrix whose image `heatmap_image` made (on any thread)."""
        self.values, self.image = values, image
        self.row_label, self.column_label = row_label, column_label
        self.update()

    def has_data(self) -> bool:
        return self.image is not None

    def clear_data(self) -> None:
        self.values, self.image = None, None

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        rows, cols = self.values.shape
        area = body.adjusted(0, 0, 0, -14 if self.column_label else 0)
        # cells as wide as the panel allows, and at least 8 pixels tall where there is room (10 x 128 reads)
        cell_w = min(area.width() / cols, 24.0)
        cell_h = min(area.height() / rows, 24.0, max(cell_w, 8.0))
        target = QtCore.QRectF(area.left(), area.top(), cell_w * cols, cell_h * rows)
        painter.drawImage(target, self.image)
        painter.setPen(FRAME)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(target)
        if self.column_label or self.row_label:
            painter.setPen(DIM)
            painter.setFont(font(7.5))
            painter.drawText(
                QtCore.QRectF(target.left(), target.bottom() + 1, max(target.width(), 260), 13),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"{rows} rows: {self.row_label} · {cols} columns: {self.column_label}",
            )


def heatmap_image(values: np.ndarray, diverging: bool) -> tuple[np.ndarray, QtGui.QImage]:
    """(the matrix as float32 rows, its image) for Heatmap.set_image: a symmetric scale when `diverging`."""
    values = np.asarray(values, dtype=np.float32).reshape(len(values), -1)
    lo, hi = symmetric_range(values) if diverging else value_range(values)
    return values, colour_image(values, lo, hi, DIVERGING if diverging else SEQUENTIAL)


class Bars(View):
    """One bar per value with labels; the largest (or a chosen one) highlighted."""

    def __init__(self, title: str, message: str, parent=None):
        super().__init__(title, message, parent)
        self.values: np.ndarray | None = None
        self.labels: list[str] = []
        self.highlight: int | None = None
        self.good: int | None = None  # the true class, drawn green when shown
        self.probabilities = False

    def set_values(
        self,
        values: np.ndarray,
        labels: list[str] | None = None,
        probabilities: bool = False,
        highlight: int | None = None,
        good: int | None = None,
    ) -> None:
        self.values = np.asarray(values, dtype=np.float32).reshape(-1)
        self.labels = list(labels) if labels else []
        self.probabilities = probabilities
        self.highlight = highlight if highlight is not None else int(np.argmax(self.values)) if probabilities else None
        self.good = good
        self.update()

    def has_data(self) -> bool:
        return self.values is not None and len(self.values) > 0

    def clear_data(self) -> None:
        self.values = None

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        values = self.values
        n = len(values)
        label_h = 13.0 if self.labels and n <= 40 else 0.0
        area = body.adjusted(0, 0, 0, -label_h)
        lo = 0.0 if self.probabilities else min(0.0, float(values.min()))
        hi = 1.0 if self.probabilities else max(0.0, float(values.max()))
        span = hi - lo if hi > lo else 1.0
        zero_y = area.bottom() - (0 - lo) / span * area.height()
        width = area.width() / n
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for k, v in enumerate(values):
            colour = ACCENT
            if k == self.highlight:
                colour = GOOD if self.good is None or self.good == k else BAD
            elif k == self.good:
                colour = QtGui.QColor(GOOD.red(), GOOD.green(), GOOD.blue(), 130)
            painter.setBrush(colour)
            y = area.bottom() - (float(v) - lo) / span * area.height()
            painter.drawRect(
                QtCore.QRectF(area.left() + k * width + width * 0.1, min(y, zero_y), width * 0.8, abs(zero_y - y))
            )
        painter.setPen(QtGui.QPen(FRAME, 1))
        painter.drawLine(QtCore.QPointF(area.left(), zero_y), QtCore.QPointF(area.right(), zero_y))
        if label_h:
            painter.setFont(font(7.5))
            metrics = QtGui.QFontMetricsF(font(7.5))
            for k, label in enumerate(self.labels[:n]):
                painter.setPen(TEXT if k == self.highlight else DIM)
                rect = QtCore.QRectF(area.left() + k * width, area.bottom() + 1, width, label_h)
                painter.drawText(
                    rect,
                    QtCore.Qt.AlignmentFlag.AlignCenter,
                    metrics.elidedText(label, QtCore.Qt.TextElideMode.ElideRight, width),
                )
        if self.probabilities and self.highlight is not None:
            painter.setPen(TEXT)
            painter.setFont(font(8))
            text = f"{values[self.highlight]:.0%}"
            x = area.left() + self.highlight * width
            y = area.bottom() - float(values[self.highlight]) * area.height()
            painter.drawText(
                QtCore.QRectF(x - 10, max(area.top(), y - 14), width + 20, 13),
                QtCore.Qt.AlignmentFlag.AlignCenter,
                text,
            )


class Histograms(View):
    """Histograms side by side (weights, activations, gradients), each over its own range."""

    def __init__(self, title: str, message: str, parent=None):
        super().__init__(title, message, parent)
        self.series: list[tuple[str, np.ndarray, np.ndarray]] = []

    def set_histograms(self, series: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        self.series = [
            (name, np.asarray(c, dtype=np.float64), np.asarray(e, dtype=np.float64)) for name, c, e in series
        ]
        self.update()

    def has_data(self) -> bool:
        return bool(self.series)

    def clear_data(self) -> None:
        self.series = []

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        n = len(self.series)
        width = body.width() / n
        colours = [QtGui.QColor(255, 150, 60), ACCENT, QtGui.QColor(40, 190, 180)]
        for k, (name, counts, edges) in enumerate(self.series):
            box = QtCore.QRectF(body.left() + k * width + 4, body.top() + 14, width - 8, body.height() - 30)
            painter.setPen(TEXT)
            painter.setFont(font(8))
            painter.drawText(
                QtCore.QRectF(box.left(), body.top(), box.width(), 13), QtCore.Qt.AlignmentFlag.AlignLeft, name
            )
            top = counts.max() if counts.size and counts.max() > 0 else 1.0
            bar = box.width() / max(1, len(counts))
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(colours[k % len(colours)])
            for j, c in enumerate(counts):
                h = c / top * box.height()
                painter.drawRect(QtCore.QRectF(box.left() + j * bar, box.bottom() - h, max(1.0, bar - 0.5), h))
            painter.setPen(QtGui.QPen(FRAME, 1))
            painter.drawLine(box.bottomLeft(), box.bottomRight())
            painter.setPen(DIM)
            painter.setFont(font(7))
            painter.drawText(
                QtCore.QRectF(box.left(), box.bottom() + 1, box.width(), 12),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"{edges[0]:.3g}",
            )
            painter.drawText(
                QtCore.QRectF(box.left(), box.bottom() + 1, box.width(), 12),
                QtCore.Qt.AlignmentFlag.AlignRight,
                f"{edges[-1]:.3g}",
            )
