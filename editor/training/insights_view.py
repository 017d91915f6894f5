"""What the model does, drawn each epoch: a confusion matrix and a grid of sample outputs."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor.training.regression_view import REGRESSION_KINDS, paint_regression_kind, regression_titles

TEXT = QtGui.QColor(226, 229, 236)
DIM = QtGui.QColor(138, 144, 160)
GOOD = QtGui.QColor(90, 200, 110)
BAD = QtGui.QColor(240, 90, 100)
PANEL = QtGui.QColor(29, 32, 38)
EMPTY_CELL = QtGui.QColor(36, 40, 48)


def _font(size: float, bold: bool = False) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _titles(painter: QtGui.QPainter, rect: QtCore.QRectF, title: str, subtitle: str) -> None:
    painter.setPen(TEXT)
    painter.setFont(_font(10, bold=True))
    painter.drawText(rect.adjusted(10, 6, -10, 0), QtCore.Qt.AlignmentFlag.AlignLeft, title)
    if subtitle:
        painter.setPen(DIM)
        painter.setFont(_font(8.5))
        metrics = QtGui.QFontMetricsF(_font(8.5))
        text = metrics.elidedText(subtitle, QtCore.Qt.TextElideMode.ElideRight, rect.width() - 20)
        painter.drawText(rect.adjusted(10, 25, -10, 0), QtCore.Qt.AlignmentFlag.AlignLeft, text)


def _placeholder(painter: QtGui.QPainter, rect: QtCore.QRectF, text: str) -> None:
    painter.setPen(DIM)
    painter.setFont(_font(9))
    painter.drawText(
        rect.adjusted(16, 0, -16, 0), QtCore.Qt.AlignmentFlag.AlignCenter | QtCore.Qt.TextFlag.TextWordWrap, text
    )


class ConfusionMatrixView(QtWidgets.QWidget):
    """Rows: the true class; columns: the predicted one; the diagonal is what it gets right.
    A click on a cell emits `cell_clicked(true class, predicted class)` (the Inspector lists its samples)."""

    cell_clicked = QtCore.Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.matrix: np.ndarray | None = None
        self.epoch: int | None = None
        self.split = "val"
        self.message = "The confusion matrix appears after the first epoch of a classifier."
        self.setMinimumSize(220, 170)
        self.setMouseTracking(True)  # the tooltip names the cell under the pointer

    def clear(self, message: str | None = None) -> None:
        self.matrix = None
        self.epoch = None
        if message:
            self.message = message
        self.update()

    def set_matrix(self, labels: list[str], matrix: list[list[int]], epoch: int, split: str = "val") -> None:
        self.labels = [str(label) for label in labels]
        self.matrix = np.asarray(matrix, dtype=np.int64)
        self.epoch, self.split = epoch, split
        self.update()

    @property
    def total(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.sum())

    def grid_geometry(self) -> tuple[float, float, float]:
        """(left, top, cell size) of the matrix as painted."""
        full = QtCore.QRectF(self.rect())
        n = len(self.matrix)
        label_w = max(QtGui.QFontMetricsF(_font(8)).horizontalAdvance(lab) for lab in self.labels) + 8
        left, top = 30 + label_w, 68.0
        return left, top, max(6.0, min((full.width() - left - 12) / n, (full.height() - top - 10) / n))

    def cell_at(self, point: QtCore.QPointF) -> tuple[int, int] | None:
        """(true class, predicted class) of the cell under `point`, or None."""
        if self.matrix is None:
            return None
        left, top, size = self.grid_geometry()
        row, column = int((point.y() - top) // size), int((point.x() - left) // size)
        n = len(self.matrix)
        return (row, column) if point.x() >= left and point.y() >= top and row < n and column < n else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        cell = self.cell_at(event.position())
        if cell is not None:
            self.cell_clicked.emit(*cell)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        cell = self.cell_at(event.position())
        if cell is None:
            self.unsetCursor()
            self.setToolTip("")
            return
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        true, predicted = (self.labels[k] if k < len(self.labels) else str(k) for k in cell)
        self.setToolTip(f"{int(self.matrix[cell])} samples of {true} predicted as {predicted}: click to list them")

    def paintEvent(self, event) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), PANEL)
        full = QtCore.QRectF(self.rect())
        subtitle = ""
        if self.matrix is not None:
            accuracy = np.trace(self.matrix) / max(1, self.total)
            split = "validation" if self.split == "val" else "training"
            subtitle = f"epoch {self.epoch} · {split} accuracy {accuracy:.1%}"
        _titles(painter, full, "Confusion matrix", subtitle)
        if self.matrix is None:
            _placeholder(painter, full.adjusted(0, 24, 0, 0), self.message)
            return
        n = len(self.matrix)
        label_w = max(QtGui.QFontMetricsF(_font(8)).horizontalAdvance(lab) for lab in self.labels) + 8
        left, top, size = self.grid_geometry()
        grid = QtCore.QRectF(left, top, size * n, size * n)
        rows = self.matrix.sum(axis=1, keepdims=True).clip(min=1)
        share = self.matrix / rows
        small = _font(7 if size < 26 else 8)
        for i in range(n):
            for j in range(n):
                cell = QtCore.QRectF(left + j * size, top + i * size, size - 1, size - 1)
                value = share[i, j]
                if self.matrix[i, j] == 0:
                    fill = EMPTY_CELL
                else:
                    base = GOOD if i == j else BAD
                    fill = QtGui.QColor(EMPTY_CELL)
                    strength = 0.25 + 0.75 * value if i == j else min(1.0, 0.35 + 2.5 * value)
                    fill = QtGui.QColor(
                        int(fill.red() + (base.red() - fill.red()) * strength),
                        int(fill.green() + (base.green() - fill.green()) * strength),
                        int(fill.blue() + (base.blue() - fill.blue()) * strength),
                    )
                painter.fillRect(cell, fill)
                if size >= 14 and self.matrix[i, j]:
                    painter.setFont(small)
                    painter.setPen(QtGui.QColor(255, 255, 255) if fill.lightness() < 150 else QtGui.QColor(20, 20, 24))
                    painter.drawText(cell, QtCore.Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[i, j])))
        painter.setFont(_font(8))
        painter.setPen(DIM)
        for k, label in enumerate(self.labels[:n]):
            painter.drawText(
                QtCore.QRectF(24, top + k * size, label_w, size),
                QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            painter.save()
            painter.translate(left + k * size + size / 2, top - 4)
            metrics = QtGui.QFontMetricsF(_font(8))
            text = metrics.elidedText(label, QtCore.Qt.TextElideMode.ElideRight, max(size - 2, 10))
            painter.drawText(QtCore.QRectF(-size / 2, -14, size, 14), QtCore.Qt.AlignmentFlag.AlignCenter, text)
            painter.restore()
        painter.setFont(_font(8, bold=True))
        painter.drawText(
            QtCore.QRectF(left, top - 32, grid.width(), 14), QtCore.Qt.AlignmentFlag.AlignCenter, "predicted"
        )
        painter.save()
        painter.translate(12, top + grid.height() / 2)
        painter.rotate(-90)
        painter.drawText(
            QtCore.QRectF(-grid.height() / 2, -8, grid.height(), 16), QtCore.Qt.AlignmentFlag.AlignCenter, "true class"
        )
        painter.restore()


def to_qimage(image: np.ndarray, levels: tuple[float, float]) -> QtGui.QImage:
    """A float image (H, W) or (H, W, 3) scaled from `levels` to 0..255."""
    lo, hi = levels
    scaled = np.clip((image - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    data = np.ascontiguousarray((scaled * 255).astype(np.uint8))
    if data.ndim == 2:
        h, w = data.shape
        return QtGui.QImage(data.data, w, h, w, QtGui.QImage.Format.Format_Grayscale8).copy()
    h, w, _ = data.shape
    return QtGui.QImage(data.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


CAPTION_PT = 7.5
CAPTION_H = 14  # pixels under each image for its caption
CELL_GAP = 6  # pixels between neighbouring images
MAX_COLUMNS = 10


SHORT_CAPTIONS = {"input": "in", "output": "out"}


def _fit_captions(texts: list[str], metrics: QtGui.QFontMetricsF, width: float) -> list[str]:
    """The captions as they fit `width` pixels, all in one form: whole, shortened ("7→1", "out"),
    or shortened and elided."""
    short = [SHORT_CAPTIONS.get(t, t.replace(" → ", "→")) for t in texts]
    for form in (texts, short):
        if all(metrics.horizontalAdvance(t) <= width for t in form):
            return form
    return [metrics.elidedText(t, QtCore.Qt.TextElideMode.ElideRight, width) for t in short]


class SampleGrid(QtWidgets.QWidget):
    """Images with captions (true → predicted; input | reconstruction; generated), or 2-D points."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.samples: dict[str, Any] | None = None
        self.epoch: int | None = None
        self.images: list[tuple[QtGui.QImage, str, QtGui.QColor | None]] = []
        self.message = "Sample outputs appear here after each epoch when the data are images."
        self.setMinimumSize(220, 120)

    def clear(self, message: str | None = None) -> None:
        self.samples, self.images, self.epoch = None, [], None
        if message:
            self.message = message
        self.update()

    def set_samples(self, samples: dict[str, Any], epoch: int) -> None:
        self.samples, self.epoch = samples, epoch
        kind = samples.get("kind")
        levels = samples.get("levels", (0.0, 1.0))
        self.images = []
        if kind == "classifier":
            for image, truth, guess in zip(samples["images"], samples["true"], samples["predicted"], strict=False):
                self.images.append((to_qimage(image, levels), f"{truth} → {guess}", GOOD if truth == guess else BAD))
        elif kind == "reconstruction":
            for image, output in zip(samples["images"], samples["outputs"], strict=False):
                self.images.append((to_qimage(image, levels), "input", None))
                self.images.append((to_qimage(output, levels), "output", None))
        elif kind == "generated":
            self.images = [(to_qimage(image, levels), "", None) for image in samples["images"]]
        self.update()

    def titles(self) -> tuple[str, str]:
        kind = (self.samples or {}).get("kind")
        title, subtitle = {
            "classifier": ("Predictions", "true → predicted"),
            "reconstruction": ("Reconstructions", "each input, then the network's output"),
            "generated": ("Generated samples", "the same noise every epoch"),
            "points": ("Generated points", "blue: generated, grey: real data"),
        }.get(kind, ("Sample outputs", ""))
        if kind in REGRESSION_KINDS:
            title, subtitle = regression_titles(self.samples)
        if self.epoch:
            subtitle = f"epoch {self.epoch} · {subtitle}" if subtitle else f"epoch {self.epoch}"
        return title, subtitle

    def paintEvent(self, event) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), PANEL)
        full = QtCore.QRectF(self.rect())
        _titles(painter, full, *self.titles())
        body = self.body_rect()
        if self.samples is None:
            _placeholder(painter, full.adjusted(0, 24, 0, 0), self.message)
            return
        if self.samples.get("kind") == "points":
            self._paint_points(painter, body)
            return
        if self.samples.get("kind") in REGRESSION_KINDS:
            paint_regression_kind(painter, body, self.samples)
            return
        if not self.images:
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setFont(_font(CAPTION_PT))
        for (image, _, text_color), (target, caption, text) in zip(self.images, self.layout(body), strict=True):
            painter.drawImage(target, image)
            painter.setPen(QtGui.QPen(QtGui.QColor(58, 63, 75), 1))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(target)
            if text:
                painter.setPen(text_color or DIM)
                painter.drawText(caption, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def body_rect(self) -> QtCore.QRectF:
        """Where the samples go: under the title and subtitle."""
        return QtCore.QRectF(self.rect()).adjusted(10, 48, -10, -8)

    def layout(self, body: QtCore.QRectF) -> list[tuple[QtCore.QRectF, QtCore.QRectF, str]]:
        """(image rect, caption rect, caption text) per image: the grid whose images are largest in
        `body`, each caption within its own column (shortened to "7→1", then elided, when narrow)."""
        count = len(self.images)
        if not count:
            return []
        pairs = (self.samples or {}).get("kind") == "reconstruction"  # input and output side by side
        caption = CAPTION_H if any(text for _, text, _ in self.images) else 0

        def cell_for(columns: int) -> float:
            rows = -(-count // columns)
            return min(body.width() / columns, body.height() / rows - caption)

        choices = [c for c in range(1, min(count, MAX_COLUMNS) + 1) if not pairs or c % 2 == 0 or c == count]

        def empty_slots(columns: int) -> int:
            return -(-count // columns) * columns - count

        # the largest images; among equals, full rows (8 + 8 rather than 9 + 7)
        columns = max(choices, key=lambda c: (round(cell_for(c), 1), -empty_slots(c), -c))
        cell = max(1.0, cell_for(columns))
        side = max(8.0, cell - CELL_GAP)
        metrics = QtGui.QFontMetricsF(_font(CAPTION_PT))
        x0 = body.left() + (body.width() - columns * cell) / 2
        texts = _fit_captions([text for _, text, _ in self.images], metrics, cell - 2)
        placed = []
        for k, text in enumerate(texts):
            r, c = divmod(k, columns)
            left, top = x0 + c * cell, body.top() + r * (cell + caption)
            target = QtCore.QRectF(left + (cell - side) / 2, top, side, side)
            placed.append((target, QtCore.QRectF(left, top + side, cell, caption), text))
        return placed

    def _paint_points(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        fake = np.asarray(self.samples["points"], dtype=float)
        real = np.asarray(self.samples.get("real") if self.samples.get("real") is not None else fake, dtype=float)
        both = np.concatenate([real, fake]) if len(real) else fake
        lo, hi = np.percentile(both, 1, axis=0), np.percentile(both, 99, axis=0)
        span = max(float((hi - lo).max()), 1e-6) * 1.15
        centre = (lo + hi) / 2
        side = min(body.width(), body.height())
        box = QtCore.QRectF(body.center().x() - side / 2, body.top(), side, side)
        painter.setPen(QtGui.QPen(QtGui.QColor(58, 63, 75), 1))
        painter.setBrush(QtGui.QColor(24, 26, 31))
        painter.drawRect(box)

        def place(points: np.ndarray, rgb: QtGui.QColor, radius: float) -> None:
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(rgb)
            for px, py in points:
                x = box.center().x() + (px - centre[0]) / span * side
                y = box.center().y() - (py - centre[1]) / span * side
                if box.contains(x, y):
                    painter.drawEllipse(QtCore.QPointF(x, y), radius, radius)

        place(real, QtGui.QColor(150, 156, 170, 110), 2.0)
        place(fake, QtGui.QColor(91, 140, 255, 200), 2.2)


NO_RUN_CONFUSION = (
    "No run of this graph yet. Train it (F5): a classifier's confusion matrix fills after the first epoch."
)
NO_RUN_SAMPLES = "No run of this graph yet. Sample outputs appear after the first epoch of training."
NOT_KEPT_CONFUSION = (
    "The last run's confusion matrix is not saved: train again (F5) or continue (Shift+F5) to see it here."
)
NOT_KEPT_SAMPLES = (
    "The last run's sample outputs are not saved: train again (F5) or continue (Shift+F5) to see them here."
)


class InsightsPanel(QtWidgets.QWidget):
    """The confusion matrix above the sample grid; when the panel is too short for both (a 720-pixel
    screen, Properties above it), a tab bar shows one at a time instead of squashing both. The
    confusion matrix is left out when the graph is not a classifier."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.confusion = ConfusionMatrixView(self)
        self.samples = SampleGrid(self)
        self.tabs = QtWidgets.QTabBar(self)
        self.tabs.setObjectName("insightsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setExpanding(False)
        self.tabs.addTab("Confusion matrix")
        self.tabs.addTab("Samples")
        self.tabs.currentChanged.connect(self._arrange)
        self.confusion_applies = True
        # no layout: the views are placed by `_arrange`, so the panel may shrink below what both need
        tallest = max(self.confusion.minimumHeight(), self.samples.minimumHeight())
        self.setMinimumSize(self.confusion.minimumWidth(), self.tabs.sizeHint().height() + tallest)

    @property
    def compact(self) -> bool:
        """Whether one view shows at a time (chosen by the tab bar)."""
        both = self.confusion.minimumHeight() + 1 + self.samples.minimumHeight()
        return self.confusion_applies and self.height() < both

    def _set_confusion_applies(self, applies: bool) -> None:
        self.confusion_applies = applies
        self._arrange()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        width, height = self.width(), self.height()
        if not self.confusion_applies:
            self.tabs.hide()
            self.confusion.hide()
            self.samples.setGeometry(0, 0, width, height)
            self.samples.show()
        elif not self.compact:
            self.tabs.hide()
            upper = max(self.confusion.minimumHeight(), (height - 1) // 2)
            self.confusion.setGeometry(0, 0, width, upper)
            self.samples.setGeometry(0, upper + 1, width, height - upper - 1)
            self.confusion.show()
            self.samples.show()
        else:
            bar = self.tabs.sizeHint().height()
            self.tabs.setGeometry(0, 0, width, bar)
            self.tabs.show()
            shown, hidden = (
                (self.confusion, self.samples) if self.tabs.currentIndex() == 0 else (self.samples, self.confusion)
            )
            hidden.hide()
            shown.setGeometry(0, bar, width, height - bar)
            shown.show()

    def show_idle(self, run: dict[str, Any], kept: dict[str, Any] | None = None) -> None:
        """Nothing is training. `run` is the layout of the graph's last run ({} for none) and `kept`
        that run's last insights if this session saw it train (runs do not save them)."""
        if not run:
            self._set_confusion_applies(True)
            self.confusion.clear(NO_RUN_CONFUSION)
            self.samples.clear(NO_RUN_SAMPLES)
            return
        self._set_confusion_applies(bool(run.get("accuracy")))
        self.confusion.clear(NOT_KEPT_CONFUSION)
        self.samples.clear(NOT_KEPT_SAMPLES)
        if kept:
            self.show_insights(kept)

    def reset(self, run: dict[str, Any]) -> None:
        """A run is starting (`run`: its layout, or {"accuracy": True} before the child reports it)."""
        classifier = bool(run.get("accuracy"))
        self.confusion.clear(
            "Training… the confusion matrix fills after the first epoch."
            if classifier
            else "No confusion matrix: this graph is not a classifier."
        )
        self._set_confusion_applies(classifier or not run)
        self.samples.clear("Training… sample outputs appear after the first epoch." if run else None)

    def show_insights(self, data: dict[str, Any]) -> None:
        epoch = int(data.get("epoch", 0))
        if "confusion" in data:
            c = data["confusion"]
            self._set_confusion_applies(True)
            self.confusion.set_matrix(c["labels"], c["matrix"], epoch, c.get("split", "val"))
        if "samples" in data:
            self.samples.set_samples(data["samples"], epoch)
        elif not self.samples.samples:
            self.samples.clear("No sample outputs: the data are not images.")
