"""Pictures over the input plane and over a node's outputs: a 2-D classifier's decision map with
the data points on it and a tiny output map on each unit of its small layers (TensorFlow
Playground's picture), and a projection scatter of any node's outputs coloured by class."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from editor.inspector.painting import (
    DIVERGING,
    FRAME,
    SEQUENTIAL,
    ImageGrid,
    View,
    colour_image,
    font,
    grey_image,
    symmetric_range,
    value_range,
)
from editor.training.plots import PALETTE

MAP_SIDE_MAX = 360.0
UNIT_SIDE = 54.0


def class_colours(count: int) -> np.ndarray:
    """One rgb per class: orange and blue for two classes (the Playground's), else the plots' palette."""
    if count == 2:
        return np.array([(245, 150, 50), (70, 140, 255)], dtype=np.float32)
    return np.array([PALETTE[k % len(PALETTE)] for k in range(count)], dtype=np.float32)


def map_image(probabilities: np.ndarray) -> QtGui.QImage:
    """[rows (y up), columns, classes] probabilities as colours: each class's colour weighted by its
    probability, darker where the model is unsure."""
    colours = class_colours(probabilities.shape[-1])
    mixed = probabilities @ colours
    sure = probabilities.max(axis=-1, keepdims=True)
    background = np.array([24, 26, 31], dtype=np.float32)
    weight = (sure - 1 / probabilities.shape[-1]) / (1 - 1 / probabilities.shape[-1] + 1e-9)
    rgb = background + (mixed - background) * (0.25 + 0.55 * weight)
    rgb = np.ascontiguousarray(np.clip(rgb[::-1], 0, 255).astype(np.uint8))  # row 0 is the top: y grows upward
    h, w, _ = rgb.shape
    return QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


class DecisionMapView(View):
    """The decision map with the points on it, then each small layer's units as tiny maps."""

    def __init__(self, parent=None):
        super().__init__("Decision map", "", parent)
        self.image: QtGui.QImage | None = None
        self.extent = (0.0, 1.0, 0.0, 1.0)
        self.points = np.zeros((0, 2), dtype=np.float32)
        self.labels = np.zeros(0, dtype=np.int64)
        self.classes = 2
        self.units: list[tuple[str, list[QtGui.QImage]]] = []
        self.map = None  # the engine's DecisionMap shown
        self.setMinimumHeight(300)

    def set_map(self, decision, points: np.ndarray, labels: np.ndarray, class_names: list[str], subtitle: str) -> None:
        self.map = decision
        self.image = map_image(decision.probabilities)
        self.extent = decision.extent
        self.points, self.labels = np.asarray(points), np.asarray(labels)
        self.classes = decision.probabilities.shape[-1]
        self.class_names = class_names
        self.units = []
        for node_id, maps in decision.units.items():
            lo, hi = symmetric_range(maps)
            self.units.append((node_id, [colour_image(m[::-1], lo, hi, DIVERGING) for m in maps]))
        self.subtitle = subtitle
        rows = sum(1 + (len(images) - 1) // max(1, int(self._columns())) for _, images in self.units)
        self.setMinimumHeight(int(self.TITLE_H + MAP_SIDE_MAX + 40 + rows * (UNIT_SIDE + 24)))
        self.update()

    def _columns(self) -> float:
        return max(1.0, (self.width() - 20) // (UNIT_SIDE + 6))

    def has_data(self) -> bool:
        return self.image is not None

    def clear_data(self) -> None:
        self.image, self.units, self.map = None, [], None

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        side = min(body.width(), MAP_SIDE_MAX)
        box = QtCore.QRectF(body.left() + (body.width() - side) / 2, body.top(), side, side)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(box, self.image)
        x0, x1, y0, y1 = self.extent
        colours = class_colours(self.classes)
        painter.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255, 200), 0.8))
        for (px, py), label in zip(self.points, self.labels, strict=False):
            x = box.left() + (px - x0) / (x1 - x0) * box.width()
            y = box.bottom() - (py - y0) / (y1 - y0) * box.height()
            if box.contains(x, y):
                r, g, b = colours[int(label) % len(colours)]
                painter.setBrush(QtGui.QColor(int(r), int(g), int(b)))
                painter.drawEllipse(QtCore.QPointF(x, y), 3.0, 3.0)
        painter.setPen(FRAME)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(box)
        legend_y = box.bottom() + 4
        painter.setFont(font(8))
        x = box.left()
        for k, name in enumerate(getattr(self, "class_names", [])[: self.classes]):
            r, g, b = colours[k]
            painter.setBrush(QtGui.QColor(int(r), int(g), int(b)))
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.drawEllipse(QtCore.QPointF(x + 5, legend_y + 7), 4, 4)
            painter.setPen(QtGui.QColor(200, 204, 214))
            width = QtGui.QFontMetricsF(font(8)).horizontalAdvance(name) + 24
            painter.drawText(QtCore.QRectF(x + 12, legend_y, width, 14), QtCore.Qt.AlignmentFlag.AlignLeft, name)
            x += width
        top = legend_y + 24
        columns = int(self._columns())
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)  # the frames below are outlines
        for node_id, images in self.units:
            painter.setPen(QtGui.QColor(226, 229, 236))
            painter.setFont(font(8.5, bold=True))
            painter.drawText(
                QtCore.QRectF(body.left(), top, body.width(), 14),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"{node_id}: each unit's output over the plane (blue negative, orange positive)",
            )
            top += 17
            for k, image in enumerate(images):
                r, c = divmod(k, columns)
                target = QtCore.QRectF(
                    body.left() + c * (UNIT_SIDE + 6), top + r * (UNIT_SIDE + 6), UNIT_SIDE, UNIT_SIDE
                )
                painter.drawImage(target, image)
                painter.setPen(FRAME)
                painter.drawRect(target)
            top += (1 + (len(images) - 1) // columns) * (UNIT_SIDE + 6) + 6


class ProjectionView(QtWidgets.QWidget):
    """A node's outputs on the validation set in 2-D (PCA or t-SNE), one colour per class."""

    method_changed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.projection = None
        self.method = QtWidgets.QComboBox()
        self.method.addItem("PCA", "pca")
        self.method.addItem("t-SNE (slower)", "tsne")
        self.method.setToolTip("PCA: the two directions of largest variance. t-SNE: keeps neighbours close.")
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #8a90a0;")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("projectionPlot")
        self.plot.setAspectLocked(False)
        self.plot.hideButtons()
        self.plot.getPlotItem().hideAxis("left")
        self.plot.getPlotItem().hideAxis("bottom")
        self.legend = self.plot.addLegend(offset=(6, 6), labelTextSize="8pt")
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setStyleSheet("color: #8a90a0;")
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(8, 4, 8, 0)
        row.addWidget(QtWidgets.QLabel("Method"))
        row.addWidget(self.method)
        row.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.caption)
        layout.addWidget(self.message)
        layout.addWidget(self.plot, 1)
        self.caption.setContentsMargins(8, 0, 8, 0)
        self.method.currentIndexChanged.connect(lambda _i: self.method_changed.emit(self.method.currentData()))
        self.show_message("Select a node: its outputs on the validation samples are projected to two dimensions.")

    def show_message(self, text: str) -> None:
        self.projection = None
        self.message.setText(text)
        self.message.show()
        self.plot.hide()
        self.caption.hide()

    def show_projection(self, projection, note: str, targets: np.ndarray | None = None) -> None:
        """`targets`: each point's target number, for colouring a regression's points (dark low, bright high)."""
        self.projection = projection
        self.plot.clear()
        self.legend.clear()
        points = projection.points
        labels = projection.labels
        names = projection.class_names or []
        if labels is None and targets is not None and len(targets) == len(points):
            lo, hi = value_range(targets)
            index = np.clip((targets - lo) / (hi - lo) * 255, 0, 255).astype(int)
            brushes = [pg.mkBrush(*SEQUENTIAL[i], 220) for i in index]
            self.plot.addItem(pg.ScatterPlotItem(points[:, 0], points[:, 1], size=5, pen=None, brush=brushes))
            note += f" · colour: the target, dark {lo:.3g} to bright {hi:.3g}"
        elif labels is None:
            self.plot.addItem(
                pg.ScatterPlotItem(points[:, 0], points[:, 1], size=5, pen=None, brush=(91, 140, 255, 170))
            )
        else:
            colours = class_colours(int(labels.max()) + 1 if len(labels) else 1)
            for k in np.unique(labels):
                chosen = labels == k
                r, g, b = colours[int(k)]
                item = pg.ScatterPlotItem(
                    points[chosen, 0], points[chosen, 1], size=5, pen=None, brush=(int(r), int(g), int(b), 190)
                )
                self.plot.addItem(item)
                self.legend.addItem(item, names[int(k)] if int(k) < len(names) else str(int(k)))
        how = projection.method.upper() if projection.method == "pca" else "t-SNE"
        if projection.explained_variance is not None:
            share = float(np.sum(projection.explained_variance))
            how += f" · the 2 axes keep {share:.0%} of the variance"
        split = "validation" if projection.split == "val" else "training"
        self.caption.setText(f"{projection.node_id}: {len(points)} {split} samples · {how} · {note}")
        self.message.hide()
        self.caption.show()
        self.plot.show()
        self.plot.autoRange()


class AttributionView(QtWidgets.QWidget):
    """The probe images, the saliency of each prediction (|gradient|) and Grad-CAM, as three grids."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.inputs = ImageGrid("Probe samples", "", max_side=56)
        self.saliency = ImageGrid("Saliency", "", max_side=56)
        self.grad_cam = ImageGrid("Grad-CAM", "", max_side=56)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setStyleSheet("color: #8a90a0;")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.message)
        for grid in (self.inputs, self.saliency, self.grad_cam):
            grid.setMinimumHeight(170)
            layout.addWidget(grid)
        layout.addStretch(1)
        self.show_message("Select an image classifier's run: which pixels its predictions rest on shows here.")

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        for grid in (self.inputs, self.saliency, self.grad_cam):
            grid.hide()

    def show_attributions(self, pictures, levels, saliency, grad_cam, layer, captions, note) -> None:
        self.message.hide()
        self.inputs.set_images([grey_image(p, *levels) for p in pictures], captions)
        self.inputs.subtitle = f"each with the class it predicts · {note}"
        grey = [s if s.ndim == 2 else s.max(axis=2) for s in saliency]
        self.saliency.set_images([colour_image(s, 0.0, float(s.max()) or 1.0) for s in grey])  # each to its own peak
        self.saliency.subtitle = "how much each pixel moves the predicted class's score (bright: most, per image)"
        self.inputs.show()
        self.saliency.show()
        if grad_cam is None:
            self.grad_cam.hide()
            return
        self.grad_cam.set_images([colour_image(c, 0.0, float(np.max(c)) or 1.0) for c in grad_cam])
        self.grad_cam.subtitle = f"where {layer}'s feature maps speak for the predicted class (bright: most)"
        self.grad_cam.show()
