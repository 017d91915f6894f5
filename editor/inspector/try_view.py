"""Try your own input: draw a digit, drop or open an image file, or type feature values; see the
prediction, every class's probability and each node's output on the way.

The widgets only collect the input; `engine.inspection.live_input` brings it to the dataset's
size and range and runs the trained model (the same code the tests compare with a direct
forward pass).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor.inspector.painting import (
    FRAME,
    Bars,
    View,
    colour_image,
    font,
    grey_image,
    symmetric_range,
    value_range,
)

PAD = 224  # the drawing pad's side in pixels
BRUSH = 30  # the pen's width: after framing, a stroke is ~1.5 of the 8x8 pixels wide, as the digits' strokes are
MAX_MAPS_IN_ROW = 16


class DrawPad(QtWidgets.QWidget):
    """A black square to draw on in white with the mouse; image files can be dropped on it.
    `drawn` after each stroke, `file_dropped(path)` for a dropped file."""

    drawn = QtCore.Signal()
    file_dropped = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("drawPad")
        self.setFixedSize(PAD, PAD)
        self.setAcceptDrops(True)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse, or drop an image file here")
        self.image = QtGui.QImage(PAD, PAD, QtGui.QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QtCore.QPointF | None = None

    def clear(self) -> None:
        self.image.fill(0)
        self.update()

    def is_blank(self) -> bool:
        return not self.pixels().any()

    def pixels(self) -> np.ndarray:
        """The drawing as floats 0..1 (H, W), ink bright."""
        pointer = self.image.constBits()
        raw = np.frombuffer(pointer, dtype=np.uint8).reshape(PAD, self.image.bytesPerLine())[:, :PAD]
        return raw.astype(np.float32) / 255.0

    def stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw a polyline in pad coordinates (what a mouse drag does; tests call it too)."""
        painter = QtGui.QPainter(self.image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        pen = QtGui.QPen(QtGui.QColor(255, 255, 255), BRUSH)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if len(points) == 1:
            painter.drawPoint(QtCore.QPointF(*points[0]))
        for a, b in zip(points, points[1:], strict=False):
            painter.drawLine(QtCore.QPointF(*a), QtCore.QPointF(*b))
        painter.end()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        painter.drawImage(0, 0, self.image)
        painter.setPen(FRAME)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self.is_blank():
            painter.setPen(QtGui.QColor(110, 116, 130))
            painter.setFont(font(9))
            painter.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, "draw here\nor drop an image")

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._last = event.position()
        self.stroke([(self._last.x(), self._last.y())])

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._last is not None:
            point = event.position()
            self.stroke([(self._last.x(), self._last.y()), (point.x(), point.y())])
            self._last = point

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._last = None
        self.drawn.emit()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.file_dropped.emit(urls[0].toLocalFile())
            event.acceptProposedAction()


class AlongTheWay(View):
    """Each node's output for the input, in graph order: feature maps side by side, vectors as a
    strip, sequences as a small heatmap."""

    ROW = 46

    def __init__(self, parent=None):
        super().__init__("Along the way", "Each node's output appears here for your input.", parent)
        self.rows: list[tuple[str, str, QtGui.QImage]] = []

    def set_activations(self, activations: dict[str, np.ndarray], order: list[str]) -> None:
        self.rows = []
        for node_id in [n for n in order if n in activations]:
            value = activations[node_id]
            if value.ndim == 3:  # channels x H x W: the first channels side by side
                maps = value[:MAX_MAPS_IN_ROW]
                gap = np.full((maps.shape[1], 1), np.nan, dtype=np.float32)
                strip = np.concatenate([np.concatenate([m, gap], axis=1) for m in maps], axis=1)[:, :-1]
                lo, hi = value_range(maps)
                image = colour_image(np.nan_to_num(strip, nan=lo), lo, hi)
                shape = " x ".join(map(str, value.shape))
            elif value.ndim == 2:
                image = colour_image(value.T, *value_range(value))
                shape = " x ".join(map(str, value.shape))
            else:
                row = value.reshape(1, -1)
                image = colour_image(row, *symmetric_range(row))
                shape = str(row.shape[1])
            self.rows.append((node_id, shape, image))
        self.subtitle = "each node's output for your input (bright: high; feature maps: the first channels)"
        self.setMinimumHeight(self.TITLE_H + 10 + self.ROW * len(self.rows))
        self.update()

    def has_data(self) -> bool:
        return bool(self.rows)

    def clear_data(self) -> None:
        self.rows = []

    def paint_data(self, painter: QtGui.QPainter, body: QtCore.QRectF) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        label_w = 110.0
        for k, (node_id, shape, image) in enumerate(self.rows):
            top = body.top() + k * self.ROW
            painter.setPen(QtGui.QColor(226, 229, 236))
            painter.setFont(font(8.5, bold=True))
            painter.drawText(QtCore.QRectF(body.left(), top, label_w, 16), QtCore.Qt.AlignmentFlag.AlignLeft, node_id)
            painter.setPen(QtGui.QColor(138, 144, 160))
            painter.setFont(font(7.5))
            painter.drawText(
                QtCore.QRectF(body.left(), top + 16, label_w, 14), QtCore.Qt.AlignmentFlag.AlignLeft, shape
            )
            space = QtCore.QRectF(body.left() + label_w, top, body.width() - label_w, self.ROW - 8)
            scale = min(space.width() / image.width(), space.height() / image.height())
            if image.height() == 1:
                scale_h = min(space.height(), 18.0)
                target = QtCore.QRectF(space.left(), space.top() + 6, space.width(), scale_h)
            else:
                target = QtCore.QRectF(space.left(), space.top(), image.width() * scale, image.height() * scale)
            painter.drawImage(target, image)
            painter.setPen(FRAME)
            painter.drawRect(target)


class TryInputView(QtWidgets.QWidget):
    """The input (drawing pad and file for images, a form for features) beside what the model makes of it.
    `request(kind, value)`: kind "image" (an array), "file" (a path) or "features" (a list)."""

    request = QtCore.Signal(str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("inspectorMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setStyleSheet("color: #8a90a0;")
        self.pad = DrawPad()
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.open_button = QtWidgets.QPushButton("Open Image…")
        self.open_button.setToolTip("Read an image file (PNG, JPEG, …): it is scaled to the dataset's size")
        self.seen = QtWidgets.QLabel()
        self.seen.setToolTip("Your input as the model sees it: scaled to the dataset's size and range")
        self.seen.setFixedSize(72, 72)
        self.seen_caption = QtWidgets.QLabel("as the model sees it")
        self.seen_caption.setStyleSheet("color: #8a90a0; font-size: 8pt;")
        self.features = QtWidgets.QWidget()
        self.feature_form = QtWidgets.QFormLayout(self.features)
        self.feature_boxes: list[QtWidgets.QDoubleSpinBox] = []
        self.verdict = QtWidgets.QLabel()
        self.verdict.setObjectName("tryVerdict")
        self.verdict.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.verdict.setContentsMargins(10, 4, 10, 0)
        self.probabilities = Bars("Class probabilities", "Draw or open an input to see what the model predicts.")
        self.probabilities.setMinimumHeight(140)
        self.along = AlongTheWay()
        self.image_box = QtWidgets.QWidget()  # the pad and its buttons, hidden as one for feature data
        grid = QtWidgets.QGridLayout(self.image_box)
        grid.setContentsMargins(8, 6, 8, 6)
        grid.addWidget(self.pad, 0, 0, 3, 1)
        grid.addWidget(self.clear_button, 0, 1)
        grid.addWidget(self.open_button, 1, 1)
        seen = QtWidgets.QVBoxLayout()
        seen.addWidget(self.seen)
        seen.addWidget(self.seen_caption)
        seen.addStretch(1)
        grid.addLayout(seen, 2, 1)
        grid.setColumnStretch(2, 1)
        self.features.setContentsMargins(8, 6, 8, 6)
        self.body = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(self.body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(self.image_box)
        column.addWidget(self.features)
        column.addWidget(self.verdict)
        column.addWidget(self.probabilities)
        column.addWidget(self.along)
        column.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.body)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)
        self.scroll = scroll
        self.pad.drawn.connect(lambda: self.request.emit("image", self.pad.pixels()))
        self.pad.file_dropped.connect(lambda path: self.request.emit("file", path))
        self.clear_button.clicked.connect(self._clear)
        self.open_button.clicked.connect(self._open)
        self.show_message("Train the graph first: your input runs through the trained model.")

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.scroll.hide()

    def show_inputs(self, image_input: bool, names: list[str] | None = None, values: np.ndarray | None = None) -> None:
        """Ready for input: the pad for image data, else one box per feature (starting at `values`)."""
        self.message.hide()
        self.scroll.show()
        self.image_box.setVisible(image_input)
        self.features.setVisible(not image_input)
        if image_input:
            return
        while self.feature_form.rowCount():
            self.feature_form.removeRow(0)
        self.feature_boxes = []
        for name, value in zip(names or [], values if values is not None else [], strict=False):
            box = QtWidgets.QDoubleSpinBox()
            box.setDecimals(3)
            box.setRange(-1e9, 1e9)
            box.setValue(float(value))
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda _v: self.request.emit("features", self.feature_values()))
            self.feature_boxes.append(box)
            self.feature_form.addRow(name, box)

    def feature_values(self) -> list[float]:
        return [box.value() for box in self.feature_boxes]

    def show_prediction(
        self, prediction, order: list[str], picture: np.ndarray | None, levels: tuple[float, float]
    ) -> None:
        """Show an engine `Prediction`; `picture` is the input as the model saw it (None for features)."""
        if prediction.probabilities is not None:
            names = prediction.class_names or [str(i) for i in range(len(prediction.probabilities))]
            self.probabilities.set_values(prediction.probabilities, names, probabilities=True)
            top = prediction.predicted
            self.verdict.setText(f"Predicts {names[top]}  ({prediction.probabilities[top]:.0%})")
            self.probabilities.subtitle = "softmax of the output: how sure the model is of each class"
        else:
            values = prediction.outputs.reshape(-1)
            self.probabilities.title = "Output"
            self.probabilities.set_values(values)
            self.probabilities.subtitle = "the model's output for your input"
            self.verdict.setText("Output: " + ", ".join(f"{v:.4g}" for v in values[:6]))
        if picture is not None:
            pixmap = QtGui.QPixmap.fromImage(grey_image(picture, *levels)).scaled(
                72, 72, QtCore.Qt.AspectRatioMode.KeepAspectRatio, QtCore.Qt.TransformationMode.FastTransformation
            )
            self.seen.setPixmap(pixmap)
        self.along.set_activations(prediction.activations, order)

    def _clear(self) -> None:
        self.pad.clear()
        self.seen.clear()
        self.verdict.setText("")
        self.probabilities.show_message("Draw or open an input to see what the model predicts.")
        self.along.show_message("Each node's output appears here for your input.")

    def _open(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Try an image", str(Path.home()), "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"
        )
        if path:
            self.request.emit("file", path)
