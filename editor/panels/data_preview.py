"""The Data panel: see the data before training — samples, class balance, column statistics, problems.

It follows the selected Dataset node (or the graph's only one). The data is read on a worker
thread (a folder of images or a large table takes a while, and the GUI thread never reads data);
an edit of the node's settings reads it again after a short pause. What it shows comes from
`engine.data.preview`, in the data's own units (before standardization and the split).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from editor.training.insights_view import to_qimage
from engine.data.describe import AUGMENT_PARAMS
from engine.data.info import DataError
from engine.data.preview import DataPreview, preview_dataset
from engine.data.table_columns import with_column_setting

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

DATASET_TYPE = "data.Dataset"
DELAY_MS = 300
TILE_PX = 56  # each sample image is drawn at this size (nearest-neighbour, so pixels stay crisp)
WARNING = QtGui.QColor(*theme.WARNING).name()
BAR = QtGui.QColor(*theme.INFO).name()


def image_tile(sample: np.ndarray, size: int = TILE_PX) -> QtGui.QPixmap:
    """One [C, H, W] sample as a pixmap: grayscale for 1 channel, colour for 3, scaled to its own range."""
    array = np.asarray(sample, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    low, high = float(np.nanmin(array)), float(np.nanmax(array))
    array = np.where(np.isnan(array), low, array)  # a missing value shows black
    picture = array.transpose(1, 2, 0) if array.shape[0] == 3 else array[0]
    image = to_qimage(picture, (low, high))
    return QtGui.QPixmap.fromImage(image).scaled(
        size, size, QtCore.Qt.AspectRatioMode.KeepAspectRatio, QtCore.Qt.TransformationMode.FastTransformation
    )


class ClassBalance(QtWidgets.QWidget):
    """One horizontal bar per class, its count beside it; rare classes in the warning colour."""

    ROW = 16

    def __init__(self, parent=None):
        super().__init__(parent)
        self.counts: dict[str, int] = {}
        self.rare: set[str] = set()

    def set_counts(self, counts: dict[str, int], rare: set[str]) -> None:
        self.counts, self.rare = counts, rare
        self.setMinimumHeight(self.ROW * len(counts) + 4)
        self.updateGeometry()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not self.counts:
            return
        painter = QtGui.QPainter(self)
        metrics = painter.fontMetrics()
        label_w = min(160, max(metrics.horizontalAdvance(name) for name in self.counts) + 8)
        count_w = metrics.horizontalAdvance("000000") + 6
        bar_w = max(20, self.width() - label_w - count_w)
        top = max(self.counts.values()) or 1
        for row, (name, count) in enumerate(self.counts.items()):
            y = 2 + row * self.ROW
            painter.setPen(QtGui.QColor(*theme.TEXT))
            label = metrics.elidedText(name, QtCore.Qt.TextElideMode.ElideRight, label_w - 6)
            painter.drawText(QtCore.QRect(0, y, label_w - 6, self.ROW), QtCore.Qt.AlignmentFlag.AlignRight, label)
            colour = QtGui.QColor(WARNING if name in self.rare else BAR)
            painter.fillRect(QtCore.QRect(label_w, y + 3, int(bar_w * count / top), self.ROW - 6), colour)
            painter.drawText(
                QtCore.QRect(label_w + int(bar_w * count / top) + 4, y, count_w, self.ROW),
                QtCore.Qt.AlignmentFlag.AlignLeft,
                f"{count:,}",
            )
        painter.end()


class DataPreviewPanel(QtWidgets.QWidget):
    """Shows `engine.data.preview.DataPreview` for one Dataset node."""

    _loaded = QtCore.Signal(str, object)  # from the reading thread: (request key, DataPreview or error text)
    # a table column's setting chosen from the columns table's menu: (column, word of `columns`, e.g. "median")
    column_setting = QtCore.Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.key = ""
        self.preview: DataPreview | None = None
        self._per_row = 0
        self.seed = 0
        self._threads: list[threading.Thread] = []
        self._cache: dict[str, DataPreview | str] = {}
        self._loaded.connect(self._on_loaded)
        self.title = QtWidgets.QLabel("Select a Dataset node to see its data.")
        self.title.setWordWrap(True)
        self.warnings = QtWidgets.QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(f"color: {WARNING};")
        self.report = QtWidgets.QLabel()  # a table's gaps filled and rows dropped, as training will do
        self.report.setWordWrap(True)
        self.samples = QtWidgets.QWidget()
        self.sample_grid = QtWidgets.QGridLayout(self.samples)
        self.sample_grid.setContentsMargins(0, 0, 0, 0)
        self.sample_grid.setSpacing(4)
        self.sample_grid.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.sample_table = QtWidgets.QTableWidget()
        self.augmented_title = QtWidgets.QLabel()
        self.augmented_title.setWordWrap(True)
        self.augmented = QtWidgets.QWidget()
        self.augmented_grid = QtWidgets.QGridLayout(self.augmented)
        self.augmented_grid.setContentsMargins(0, 0, 0, 0)
        self.augmented_grid.setSpacing(4)
        self.augmented_grid.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.augment_settings: dict[str, Any] = {}
        self.balance = ClassBalance()
        self.columns = QtWidgets.QTableWidget()
        for table in (self.sample_table, self.columns):
            table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
            table.verticalHeader().setVisible(False)
            table.setMinimumHeight(120)
        self.columns.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.columns.customContextMenuRequested.connect(self._column_menu)
        self.balance_title = QtWidgets.QLabel("<b>Class balance</b>")
        self.columns_title = QtWidgets.QLabel("<b>Columns</b> (in the file's units)")
        self.columns.setToolTip(
            "A table's column: right-click to exclude it, encode it or choose how its gaps are filled"
        )
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        for widget in (
            self.title,
            self.warnings,
            self.report,
            self.samples,
            self.augmented_title,
            self.augmented,
            self.sample_table,
            self.balance_title,
            self.balance,
            self.columns_title,
            self.columns,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._show_nothing()

    # -- requests ---------------------------------------------------------------------------------
    def request(self, params: dict[str, Any] | None, seed: int = 0) -> None:
        """Show the data `params` select (None: nothing selected); reads on a worker thread if not cached."""
        if params is None:
            self.key = ""
            self._show_nothing()
            return
        key = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)
        if key == self.key:
            return
        self.key = key
        self.augment_settings = {k: params[k] for k in AUGMENT_PARAMS if params.get(k)}
        self.seed = seed
        if key in self._cache:
            self._show(self._cache[key])
            return
        self.title.setText(f"Reading the {params.get('dataset', '')} data…")
        thread = threading.Thread(target=self._read, args=(key, params, seed), name="netwright-preview", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Let reads under way finish (`wait`), so none outlives the window; a quitting app does not wait."""
        self.key = ""
        if wait:
            for thread in self._threads:
                thread.join(timeout)
        self._threads = []

    def _read(self, key: str, params: dict[str, Any], seed: int) -> None:
        try:
            result: DataPreview | str = preview_dataset(params, seed)
        except DataError as exc:
            result = str(exc)
        except Exception as exc:  # noqa: BLE001 - the panel says what went wrong instead of dying
            result = f"cannot preview this data: {exc}"
        self._loaded.emit(key, result)

    def _on_loaded(self, key: str, result: DataPreview | str) -> None:
        self._cache[key] = result
        if key == self.key:  # not a read for settings edited since
            self._show(result)

    # -- drawing ----------------------------------------------------------------------------------
    def _show_nothing(self) -> None:
        self.preview = None
        self.title.setText("Select a Dataset node to see its data: samples, class balance and column statistics.")
        for widget in (
            self.warnings,
            self.report,
            self.samples,
            self.augmented_title,
            self.augmented,
            self.sample_table,
            self.balance_title,
            self.balance,
        ):
            widget.setVisible(False)
        self.columns_title.setVisible(False)
        self.columns.setVisible(False)

    def _show(self, result: DataPreview | str) -> None:
        if isinstance(result, str):
            self._show_nothing()
            self.title.setText(f"<b>The data cannot be read:</b> {result}")
            return
        self.preview = p = result
        shape = "x".join(str(d) for d in p.sample_shape)
        if p.sample_cells:  # a table: its columns as the file has them (encoding may widen them: see the edge)
            used = sum(c.kind != "excluded" for c in p.columns)
            shape = f"{used} feature column{'s' if used != 1 else ''}"
        self.title.setText(
            f"<b>{p.dataset}</b>: {p.num_samples:,} samples of {shape} ({p.kind}), {p.task}. "
            f"{len(p.samples)} samples below{', one class after another' if p.class_counts else ''}."
        )
        self.warnings.setText("<br>".join(f"⚠ {w}" for w in p.warnings))
        self.warnings.setVisible(bool(p.warnings))
        self.report.setText("<br>".join(p.report))
        self.report.setVisible(bool(p.report))
        self._show_samples(p)
        self.balance.set_counts(p.class_counts, set(p.rare_classes))
        self.balance_title.setVisible(bool(p.class_counts))
        self.balance.setVisible(bool(p.class_counts))
        stats = p.columns + ([p.target_stats] if p.target_stats else [])
        self.columns_title.setVisible(bool(stats))
        self.columns.setVisible(bool(stats))
        if any(c.kind for c in stats):  # a table: what each column holds and how it is used
            self._fill(
                self.columns,
                ["column", "kind", "used as", "mean", "std", "min", "max", "missing", "filled"],
                [[c.name, c.kind, c.handling, *_numbers(c), str(c.missing), str(c.filled)] for c in stats],
            )
            return
        self._fill(
            self.columns,
            ["column", "mean", "std", "min", "max", "missing"],
            [[c.name, *(f"{v:.4g}" for v in (c.mean, c.std, c.minimum, c.maximum)), str(c.missing)] for c in stats],
        )

    def column_menu(self, row: int) -> QtWidgets.QMenu | None:
        """The settings a table's column can take (exclude, encoding, how gaps are filled); None for other data."""
        if self.preview is None or row >= len(self.preview.columns) or not self.preview.columns[row].kind:
            return None
        column = self.preview.columns[row]
        menu = QtWidgets.QMenu(self)
        menu.setToolTipsVisible(True)
        choices = [("Use as a feature", "feature")] if column.kind == "excluded" else [("Exclude", "exclude")]
        if column.kind not in ("excluded", "empty"):
            choices += [(None, None), ("One-hot encode", "onehot"), ("Embed (ids)", "embed"), ("As a number", "number")]
            choices += [("As a date and time", "datetime")]  # year, month, day, weekday, hour, days since 1970
            choices += [(None, None), ("Fill gaps: mean", "mean"), ("Fill gaps: median", "median")]
            choices += [("Fill gaps: most frequent", "most_frequent"), ("Drop rows with a gap", "drop_rows")]
        for text, word in choices:
            if text is None:
                menu.addSeparator()
                continue
            action = menu.addAction(text)
            action.setToolTip(f"sets '{column.name}: {word}' in the Dataset's columns")
            action.triggered.connect(lambda _=False, w=word: self.column_setting.emit(column.name, w))
        return menu

    def _column_menu(self, position: QtCore.QPoint) -> None:
        menu = self.column_menu(self.columns.rowAt(position.y()))
        if menu is not None:
            menu.exec(self.columns.viewport().mapToGlobal(position))

    def _show_samples(self, p: DataPreview) -> None:
        images = p.kind == "images"
        augmenting = images and bool(self.augment_settings)
        self.samples.setVisible(images)
        self.sample_table.setVisible(not images)
        self.augmented_title.setVisible(augmenting)
        self.augmented.setVisible(augmenting)
        if not images:
            self._table_samples(p)
            return
        self._per_row = max(2, (self.width() - 28) // (TILE_PX + 6))  # as many as fit: never a sideways scroll
        self._tiles(self.sample_grid, p.samples, p.sample_targets)
        if augmenting:
            # the same samples as one training batch gets them (the trainer's function and seed); torch is
            # imported here, not with the window, which must show before torch loads
            import torch

            from engine.training.augmentation import AUGMENT_SEED_OFFSET, Augmentation

            generator = torch.Generator().manual_seed(self.seed + AUGMENT_SEED_OFFSET)
            augmentation = Augmentation.from_params(self.augment_settings)
            changed = augmentation.apply(torch.from_numpy(np.ascontiguousarray(p.samples)), generator)
            self.augmented_title.setText("<b>As training sees them</b> (augmented; validation and test never are)")
            self._tiles(self.augmented_grid, changed.numpy(), p.sample_targets)

    def _tiles(self, grid: QtWidgets.QGridLayout, samples: np.ndarray, targets: list[str]) -> None:
        while grid.count():
            item = grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for index, (sample, target) in enumerate(zip(samples, targets, strict=True)):
            tile = QtWidgets.QLabel()
            tile.setPixmap(image_tile(sample))
            tile.setToolTip(f"sample {index + 1}: {target}")
            caption = QtWidgets.QLabel(target)
            caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
            caption.setMaximumWidth(TILE_PX + 8)
            cell = QtWidgets.QWidget()
            cell_layout = QtWidgets.QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(1)
            cell_layout.addWidget(tile)
            cell_layout.addWidget(caption)
            grid.addWidget(cell, index // self._per_row, index % self._per_row)

    def _table_samples(self, p: DataPreview) -> None:
        if p.sample_cells:  # a table's rows as the file has them (text, and an empty cell for a gap)
            names = [c.name for c in p.columns if c.kind != "excluded"]
            rows = [[target, *cells] for target, cells in zip(p.sample_targets, p.sample_cells, strict=True)]
            self._fill(self.sample_table, ["target", *names], rows)
            return
        flat = p.samples.reshape(len(p.samples), -1)
        shown = min(flat.shape[1], 12)
        names = [c.name for c in p.columns][:shown] if p.columns else [f"x[{i}]" for i in range(shown)]
        header = ["target", *names] + (["…"] if flat.shape[1] > shown else [])
        rows = []
        for target, values in zip(p.sample_targets, flat, strict=True):
            cells = [f"{int(v)}" if p.kind == "tokens" else f"{v:.4g}" for v in values[:shown]]
            rows.append([target, *cells] + (["…"] if flat.shape[1] > shown else []))
        self._fill(self.sample_table, header, rows)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        fits = max(2, (self.width() - 28) // (TILE_PX + 6))
        if self.preview is not None and self.preview.kind == "images" and fits != self._per_row:
            self._show_samples(self.preview)

    @staticmethod
    def _fill(table: QtWidgets.QTableWidget, header: list[str], rows: list[list[str]]) -> None:
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(header)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        table.resizeColumnsToContents()


class DataPreviewFollower(QtCore.QObject):
    """Feeds the panel the Dataset node that is selected, or the graph's only one, after each edit."""

    def __init__(self, window: MainWindow, panel: DataPreviewPanel, dock: QtWidgets.QDockWidget):
        super().__init__(window)
        self.window, self.panel, self.dock = window, panel, dock
        self.node_id: str | None = None
        dock.visibilityChanged.connect(lambda visible: self.refresh() if visible else None)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        window.document.changed.connect(self._timer.start)
        window.canvas.selection_changed.connect(self.on_selection)
        panel.column_setting.connect(self.set_column)

    def set_column(self, column: str, word: str) -> None:
        """Set one column's setting on the Dataset node the panel shows (one undoable edit of its `columns`)."""
        node_id = self.node_id
        if node_id is None or node_id not in self.window.document.graph.nodes:
            return

        current = str(self.window.document.graph.nodes[node_id].params.get("columns", ""))
        try:
            changed = with_column_setting(current, column, word)
        except DataError:  # the typed text does not read: the node already says why; leave it to the user
            return
        self.window.document.edit(
            f"column {column}: {word}", lambda graph: graph.nodes[node_id].params.__setitem__("columns", changed)
        )

    def on_selection(self, node_ids: list[str]) -> None:
        graph = self.window.document.graph
        chosen = [n for n in node_ids if n in graph.nodes and graph.nodes[n].type_id == DATASET_TYPE]
        if chosen:
            self.node_id = chosen[0]
            self.refresh()

    def shown(self) -> bool:
        """Whether the Data tab is in front (a dock behind another tab still reports itself visible)."""
        return self.panel.isVisible() and not self.dock.visibleRegion().isEmpty()

    def refresh(self) -> None:
        if not self.shown():  # a hidden panel reads nothing; showing it reads what is selected then
            return
        graph = self.window.document.graph
        datasets = [n for n, node in graph.nodes.items() if node.type_id == DATASET_TYPE]
        if self.node_id not in datasets:
            self.node_id = datasets[0] if len(datasets) == 1 else None
        if self.node_id is None:
            self.panel.request(None)
            return
        try:
            seed = int(graph.training.get("seed", 0))
        except (TypeError, ValueError):  # a seed of the wrong kind is a problem on the form; preview as seed 0
            seed = 0
        self.panel.request(graph.resolved_params(self.node_id), seed)


def _numbers(column) -> list[str]:
    """mean, std, min, max; blank for a column of text (no numbers to summarise)."""
    values = (column.mean, column.std, column.minimum, column.maximum)
    return ["" if np.isnan(v) else f"{v:.4g}" for v in values]


def install_data_preview(window: MainWindow) -> QtWidgets.QDockWidget:
    """The Data dock, tabbed with Help on the right; View > Data toggles it."""
    panel = DataPreviewPanel(window)
    dock = window._dock("Data", panel, "data")
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.help_dock, dock)
    window.help_dock.raise_()
    window.data_preview = panel
    window.data_preview_follower = DataPreviewFollower(window, panel, dock)
    return dock
