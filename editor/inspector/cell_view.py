"""The samples of one confusion-matrix cell, each with its picture and its class probabilities."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor.inspector.painting import (
    ACCENT,
    BAD,
    DIM,
    FRAME,
    GOOD,
    PANEL,
    TEXT,
    colour_image,
    draw_message,
    font,
    grey_image,
    symmetric_range,
    value_range,
)

ROW_H = 66
PICTURE = 56
PICK_A_CELL = (
    "Click a cell of the confusion matrix (Insights) to list its samples here: which digits the model "
    "mistakes for which, each with its class probabilities."
)


class CellSamplesView(QtWidgets.QWidget):
    """Rows of (picture or feature strip, sample number, probability bars); sized to its rows so a
    scroll area around it scrolls."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cell = None  # engine.inspection.samples.CellSamples
        self.message = PICK_A_CELL
        self.pictures: list[QtGui.QImage] = []
        self.setMinimumHeight(160)

    def show_message(self, text: str) -> None:
        self.cell, self.pictures, self.message = None, [], text
        self._resize_to_rows(0)
        self.update()

    def show_cell(self, cell) -> None:
        self.cell = cell
        if cell.images is not None:
            lo, hi = value_range(cell.images)
            self.pictures = [grey_image(image, lo, hi) for image in cell.images]
        else:
            lo, hi = symmetric_range(cell.inputs)
            self.pictures = [colour_image(np.asarray(x).reshape(1, -1), lo, hi) for x in cell.inputs]
        self._resize_to_rows(len(cell.indices))
        self.update()

    def rows(self) -> int:
        return 0 if self.cell is None else len(self.cell.indices)

    def _text_height(self, text: str, size: float, bold: bool = False) -> float:
        metrics = QtGui.QFontMetricsF(font(size, bold))
        box = QtCore.QRectF(0, 0, max(40, self.width() - 20), 1000)
        return metrics.boundingRect(box, int(QtCore.Qt.TextFlag.TextWordWrap), text).height()

    def title_height(self) -> float:
        return self._text_height(self.headline()[0], 9.5, bold=True) if self.cell is not None else 0.0

    def rows_top(self) -> float:
        """Where the rows start: under the title and subtitle, wrapped to the view's width."""
        if self.cell is None:
            return 48.0
        return self.title_height() + 12 + self._text_height(self.headline()[1], 8.5) + 8

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._resize_to_rows(self.rows())

    def _resize_to_rows(self, rows: int) -> None:
        more = 24 if self.cell and self.cell.total > rows else 0
        self.setMinimumHeight(int(max(160, self.rows_top() + 4 + rows * ROW_H + more)))

    def headline(self) -> tuple[str, str]:
        cell = self.cell
        names = cell.class_names
        true, predicted = names[cell.true_class], names[cell.predicted_class]
        kind = "right" if cell.true_class == cell.predicted_class else "mistaken"
        split = "validation" if cell.split == "val" else "training"
        title = f"{cell.total} {split} sample{'' if cell.total == 1 else 's'} of {true} predicted as {predicted}"
        return title, f"{kind} · by the run's trained weights · bars: each class's probability"

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), PANEL)
        full = QtCore.QRectF(self.rect())
        if self.cell is None:
            draw_message(painter, full, self.message)
            return
        title, subtitle = self.headline()
        painter.setPen(TEXT)
        painter.setFont(font(9.5, bold=True))
        wrap = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.TextFlag.TextWordWrap
        painter.drawText(full.adjusted(10, 5, -10, 0), wrap, title)
        painter.setPen(DIM)
        painter.setFont(font(8.5))
        painter.drawText(full.adjusted(10, self.title_height() + 7, -10, 0), wrap, subtitle)
        if not self.rows():
            draw_message(painter, full.adjusted(0, self.rows_top(), 0, 0), "No sample falls in this cell.")
            return
        names = self.cell.class_names
        for k in range(self.rows()):
            top = self.rows_top() + k * ROW_H
            picture = QtCore.QRectF(10, top, PICTURE if self.cell.images is not None else 90, PICTURE)
            painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(picture, self.pictures[k])
            painter.setPen(FRAME)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(picture)
            painter.setPen(DIM)
            painter.setFont(font(7.5))
            painter.drawText(
                QtCore.QRectF(picture.right() + 6, top, 70, 14),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"#{self.cell.indices[k]}",
            )
            probabilities = self.cell.probabilities[k]
            painter.drawText(
                QtCore.QRectF(picture.right() + 6, top + 16, 70, 14),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"{probabilities[self.cell.predicted_class]:.0%} {names[self.cell.predicted_class]}",
            )
            self._bars(
                painter,
                QtCore.QRectF(picture.right() + 76, top, full.width() - picture.right() - 86, PICTURE),
                probabilities,
            )
        if self.cell.total > self.rows():
            painter.setPen(DIM)
            painter.drawText(
                QtCore.QRectF(10, self.rows_top() + self.rows() * ROW_H, full.width() - 20, 20),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"… and {self.cell.total - self.rows()} more (the first {self.rows()} are listed)",
            )

    def _bars(self, painter: QtGui.QPainter, box: QtCore.QRectF, probabilities: np.ndarray) -> None:
        n = len(probabilities)
        label_h = 12.0
        area = box.adjusted(0, 0, 0, -label_h)
        width = area.width() / max(1, n)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for j, p in enumerate(probabilities):
            colour = ACCENT
            if j == self.cell.predicted_class:
                colour = GOOD if j == self.cell.true_class else BAD
            elif j == self.cell.true_class:
                colour = QtGui.QColor(GOOD.red(), GOOD.green(), GOOD.blue(), 130)
            painter.setBrush(colour)
            h = float(p) * area.height()
            painter.drawRect(
                QtCore.QRectF(area.left() + j * width + width * 0.12, area.bottom() - h, width * 0.76, max(h, 0.5))
            )
        painter.setPen(QtGui.QPen(FRAME, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        if width >= 9:
            painter.setFont(font(7))
            painter.setPen(DIM)
            metrics = QtGui.QFontMetricsF(font(7))
            for j, name in enumerate(self.cell.class_names[:n]):
                rect = QtCore.QRectF(area.left() + j * width, area.bottom(), width, label_h)
                painter.drawText(
                    rect,
                    QtCore.Qt.AlignmentFlag.AlignCenter,
                    metrics.elidedText(name, QtCore.Qt.TextElideMode.ElideRight, width),
                )
