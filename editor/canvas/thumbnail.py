"""A Dataset node's thumbnail on the canvas: a few sample images, a sparkline of a sequence, or a table glyph.

Drawn from the same preview the Data panel shows (`engine.data.preview.preview_dataset`, the
same params and seed), read on a worker thread (the GUI thread never reads data) and cached by
those settings, so an edit elsewhere in the graph costs nothing and going back to earlier settings
draws at once. Data that cannot be read gets no thumbnail: the node's problem says why.

The node card (editor/canvas/node_item.py) makes room for `item.thumbnail` under its ports and
calls `paint_thumbnail`; `install_thumbnails(window)` keeps every Dataset node's picture current.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui

from editor import theme
from editor.panels.data_preview import image_tile
from engine.data.info import DataError
from engine.data.preview import DataPreview, preview_dataset

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

DATASET_TYPE = "data.Dataset"
THUMB_HEIGHT = 28.0  # the picture's height on the card, in scene units (4 tiles fit the narrowest card)
THUMB_GAP = 6.0  # between the ports and the picture
TILES = 4  # sample images shown
TILE_GAP = 3
PIXEL_RATIO = 2  # pixmaps are drawn at twice their size so a zoomed-in card stays sharp
CACHE_SIZE = 32
DELAY_MS = 250  # after an edit, before reading (typing a path reads once, at the end)


def thumbnail_height(item) -> float:
    """What the card adds to its height for its thumbnail (0 without one)."""
    return THUMB_HEIGHT + THUMB_GAP if getattr(item, "thumbnail", None) is not None else 0.0


def paint_thumbnail(painter: QtGui.QPainter, item, card: QtCore.QRectF, footer_height: float) -> None:
    """Draw the item's thumbnail at the left of the band above its footer."""
    pixmap: QtGui.QPixmap | None = getattr(item, "thumbnail", None)
    if pixmap is None:
        return
    width = pixmap.width() / PIXEL_RATIO
    top = card.bottom() - footer_height - THUMB_HEIGHT
    target = QtCore.QRectF(12.0, top, min(width, card.width() - 24.0), THUMB_HEIGHT)
    source = QtCore.QRectF(0, 0, target.width() * PIXEL_RATIO, pixmap.height())
    painter.drawPixmap(target, pixmap, source)


def thumbnail_pixmap(preview: DataPreview) -> QtGui.QPixmap | None:
    """The picture for a preview: sample images, a sequence's sparkline, or a table glyph."""
    if preview.kind == "images" and len(preview.samples):
        return _image_strip(preview.samples[:TILES])
    if preview.kind == "sequence" and len(preview.samples):
        return _sparkline(np.asarray(preview.samples[0], dtype=np.float64))
    if preview.kind in ("table", "tokens"):
        columns = preview.sample_shape[0] if preview.sample_shape else 1
        return _table_glyph(preview.num_samples, columns)
    return None


def _canvas(width: float) -> tuple[QtGui.QPixmap, QtGui.QPainter]:
    pixmap = QtGui.QPixmap(int(width * PIXEL_RATIO), int(THUMB_HEIGHT * PIXEL_RATIO))
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.scale(PIXEL_RATIO, PIXEL_RATIO)
    return pixmap, painter


def _image_strip(samples: np.ndarray) -> QtGui.QPixmap:
    side = THUMB_HEIGHT
    pixmap, painter = _canvas(len(samples) * (side + TILE_GAP) - TILE_GAP)
    for i, sample in enumerate(samples):
        tile = image_tile(sample, int(side * PIXEL_RATIO))
        painter.drawPixmap(QtCore.QRectF(i * (side + TILE_GAP), 0, side, side), tile, QtCore.QRectF(tile.rect()))
        painter.setPen(QtGui.QPen(theme.qcolor(theme.NODE_BORDER), 0.6))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(QtCore.QRectF(i * (side + TILE_GAP), 0, side, side))
    painter.end()
    return pixmap


def _sparkline(sample: np.ndarray) -> QtGui.QPixmap:
    values = sample.reshape(len(sample), -1)[:, 0] if sample.ndim else sample.reshape(1)
    values = values[np.isfinite(values)]
    width = 4 * (THUMB_HEIGHT + TILE_GAP) - TILE_GAP
    pixmap, painter = _canvas(width)
    painter.fillRect(QtCore.QRectF(0, 0, width, THUMB_HEIGHT), theme.qcolor(theme.SHAPE_BG))
    if len(values) > 1:
        low, high = float(values.min()), float(values.max())
        span = high - low or 1.0
        path = QtGui.QPainterPath()
        for i, v in enumerate(values):
            point = QtCore.QPointF(
                2 + i * (width - 4) / (len(values) - 1), THUMB_HEIGHT - 3 - (v - low) / span * (THUMB_HEIGHT - 6)
            )
            path.lineTo(point) if i else path.moveTo(point)
        painter.setPen(QtGui.QPen(theme.qcolor(theme.INFO), 1.4))
        painter.drawPath(path)
    painter.end()
    return pixmap


def _table_glyph(rows: int, columns: int) -> QtGui.QPixmap:
    """A tiny table (a header row and three rows of cells) and 'rows x columns' beside it."""
    text = f"{rows:,} \u00d7 {columns:,}"
    font = QtGui.QFont()
    font.setPointSizeF(7.5)
    text_w = QtGui.QFontMetricsF(font).horizontalAdvance(text)
    cell_w, cell_h, shown = 9.0, 6.0, min(max(columns, 1), 5)
    grid_w = shown * cell_w
    pixmap, painter = _canvas(grid_w + 8 + text_w + 2)
    top = (THUMB_HEIGHT - 4 * cell_h) / 2
    for row in range(4):
        for col in range(shown):
            cell = QtCore.QRectF(col * cell_w, top + row * cell_h, cell_w, cell_h)
            painter.fillRect(cell, theme.qcolor(theme.INFO if row == 0 else theme.SHAPE_BG))
            painter.setPen(QtGui.QPen(theme.qcolor(theme.NODE_BORDER), 0.6))
            painter.drawRect(cell)
    painter.setFont(font)
    painter.setPen(theme.qcolor(theme.TEXT_DIM))
    painter.drawText(
        QtCore.QRectF(grid_w + 8, 0, text_w + 2, THUMB_HEIGHT),
        QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
        text,
    )
    painter.end()
    return pixmap


def preview_key(params: dict[str, Any], seed: int) -> str:
    """The cache key: the Data panel's (the same params and seed give the same preview)."""
    return json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)


class DatasetThumbnails(QtCore.QObject):
    """Keeps each Dataset node's thumbnail in step with its settings; reads on worker threads."""

    _loaded = QtCore.Signal(str, object)  # from a reading thread: (key, DataPreview or error text)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._cache: OrderedDict[str, QtGui.QPixmap | None] = OrderedDict()
        self._reading: dict[str, threading.Thread] = {}
        self._loaded.connect(self._on_loaded)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self._closed = False
        window.document.changed.connect(self._timer.start)
        self._timer.start()  # not at once: the window comes up first

    def refresh(self) -> None:
        """Give every drawn Dataset node its cached picture; read the ones not known yet."""
        if self._closed:
            return
        graph = self.window.document.graph
        try:
            seed = int(graph.training.get("seed", 0))
        except (TypeError, ValueError):
            seed = 0
        for node_id, node in graph.nodes.items():
            if node.type_id != DATASET_TYPE:
                continue
            canvas_node = self.window.canvas.canvas_node(node_id)
            if canvas_node is None:  # inside a collapsed block
                continue
            params = graph.resolved_params(node_id)
            key = preview_key(params, seed)
            if key in self._cache:
                self._cache.move_to_end(key)
                set_thumbnail(canvas_node.view, self._cache[key])
            elif key not in self._reading:
                thread = threading.Thread(
                    target=self._read, args=(key, params, seed), name="netwright-thumbnail", daemon=True
                )
                self._reading[key] = thread
                thread.start()

    def _read(self, key: str, params: dict[str, Any], seed: int) -> None:
        try:
            result: DataPreview | str = preview_dataset(params, seed)
        except DataError as exc:
            result = str(exc)
        except Exception as exc:  # noqa: BLE001 - no thumbnail, never a dead reading thread
            result = f"cannot preview this data: {exc}"
        self._loaded.emit(key, result)

    def _on_loaded(self, key: str, result: DataPreview | str) -> None:
        self._reading.pop(key, None)
        self._cache[key] = thumbnail_pixmap(result) if isinstance(result, DataPreview) else None
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.refresh()

    def shutdown(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Start no more reads; let those under way finish (`wait`), so none outlives the window."""
        self._closed = True
        self._timer.stop()
        if wait:
            for thread in list(self._reading.values()):
                thread.join(timeout)


def set_thumbnail(item, pixmap: QtGui.QPixmap | None) -> None:
    """Give a node card its picture (None: none); it re-lays itself out only when that changes."""
    if getattr(item, "thumbnail", None) is pixmap:
        return
    item.thumbnail = pixmap
    item.draw_node()


def install_thumbnails(window: MainWindow) -> DatasetThumbnails:
    """Thumbnails on the canvas's Dataset nodes, for the window's lifetime."""
    thumbnails = DatasetThumbnails(window)
    window.dataset_thumbnails = thumbnails
    return thumbnails
