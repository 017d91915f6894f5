"""The Runs panel: every run of the graph, their curves overlaid, and what differs between two."""

from __future__ import annotations

import datetime
import html
import math
import tempfile
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from editor.training.plots import PALETTE, Plot
from engine.runs import RunInfo, RunStore, diff_runs

METRICS = (
    ("val_loss", "validation loss"),
    ("train_loss", "training loss"),
    ("val_acc", "validation accuracy"),
    ("train_acc", "training accuracy"),
)
STATUS_COLORS = {
    "completed": "#5ac86e",
    "early_stopped": "#5ac86e",
    "stopped": "#f0b43c",
    "running": "#5b8cff",
    "diverged": "#ff6b6b",
    "failed": "#ff6b6b",
    "interrupted": "#8a90a0",
}
COLUMNS = ("Run", "Status", "Epochs", "Best", "Device", "Time")


def describe_best(run: RunInfo) -> str:
    if run.best_value is None:
        return "—"
    if run.best_key.endswith("acc"):
        return f"{run.best_key.replace('_', ' ')} {run.best_value:.1%}"
    return f"{run.best_key.replace('_', ' ')} {run.best_value:.4g}"


def describe_start(started: datetime.datetime, today: datetime.date | None = None) -> str:
    """The time for a run of today, else the date and time: short, so every column fits."""
    if started.date() == (today or datetime.date.today()):
        return started.strftime("%H:%M:%S")
    return started.strftime("%m-%d %H:%M" if started.year == (today or datetime.date.today()).year else "%Y-%m-%d")


def breakable_path(text: str) -> str:
    """`text` with a zero-width space after each path separator, so a label can wrap a long path."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")


# check boxes drawn by the theme, not the platform's (which are near-invisible on dark rows)
CHECK_STYLE = (
    "QTreeView::indicator { width: 15px; height: 15px; border-radius: 4px; border: 1px solid #8a90a0;"
    " background: #262a33; }"
    " QTreeView::indicator:checked { background: #5b8cff; border: 1px solid #5b8cff; image: url(CHECK); }"
)


def describe_seconds(seconds) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return ""
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


class RunsPanel(QtWidgets.QWidget):
    continue_requested = QtCore.Signal(object)  # RunInfo whose weights to start from

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store: RunStore | None = None
        self.runs: list[RunInfo] = []
        self.active_run: str | None = None
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        check = Path(tempfile.gettempdir()) / "netwright-check-v1.png"  # drawn by editor.theme
        self.tree.setStyleSheet(CHECK_STYLE.replace("CHECK", check.as_posix()) if check.is_file() else "")
        self.tree.itemChanged.connect(lambda *_: self._update_views())
        self.tree.itemSelectionChanged.connect(self._update_views)
        self.place = QtWidgets.QLabel()
        self.place.setObjectName("muted")
        self.place.setWordWrap(True)
        self.continue_button = QtWidgets.QPushButton("Continue from weights")
        self.continue_button.setToolTip("Start the next run from the weights this run trained")
        self.continue_button.clicked.connect(self._continue)
        self.delete_button = QtWidgets.QPushButton("Delete")
        self.delete_button.clicked.connect(self._delete)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        left = QtWidgets.QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.tree, 1)
        left.addWidget(self.place)
        left.addLayout(buttons)
        left_widget = QtWidgets.QWidget()
        left_widget.setLayout(left)

        self.metric_box = QtWidgets.QComboBox()
        for key, label in METRICS:
            self.metric_box.addItem(label, key)
        self.metric_box.currentIndexChanged.connect(self._update_plot)
        self.plot = Plot("Compare runs", "value")
        self.diff = QtWidgets.QTextBrowser()
        self.diff.setMinimumWidth(150)
        right_top = QtWidgets.QVBoxLayout()  # the hint above the chooser: a narrow pane stays readable
        hint = QtWidgets.QLabel("Tick runs to overlay their curves; tick two to list what differs.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        right_top.addWidget(hint)
        right_top.addWidget(self.metric_box)
        middle = QtWidgets.QVBoxLayout()
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addLayout(right_top)
        middle.addWidget(self.plot, 1)
        middle_widget = QtWidgets.QWidget()
        middle_widget.setLayout(middle)

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(middle_widget)
        splitter.addWidget(self.diff)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([560, 360, 220])
        self.splitter = splitter
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        self._update_views()

    def set_store(self, store: RunStore | None) -> None:
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        checked = set(self.checked_ids())
        self.runs = self.store.runs() if self.store is not None else []
        blocker = QtCore.QSignalBlocker(self.tree)
        self.tree.clear()
        for run in self.runs:
            status = run.status
            if status == "running" and run.id != self.active_run:
                status = "interrupted"
            item = QtWidgets.QTreeWidgetItem(
                [
                    describe_start(run.started),
                    status.replace("_", " "),
                    f"{run.epochs_completed}/{run.epochs}" if run.epochs else str(run.epochs_completed),
                    describe_best(run),
                    run.device,
                    describe_seconds(run.seconds),
                ]
            )
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, run.id)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, QtCore.Qt.CheckState.Checked if run.id in checked else QtCore.Qt.CheckState.Unchecked)
            item.setForeground(1, QtGui.QBrush(QtGui.QColor(STATUS_COLORS.get(status, "#8a90a0"))))
            item.setToolTip(0, f"{run.started:%Y-%m-%d %H:%M:%S}\n{run.folder}")
            if run.record.get("error"):
                item.setToolTip(1, str(run.record["error"]))
            self.tree.addTopLevelItem(item)
        del blocker
        where = breakable_path(f"Kept in {self.store.folder}") if self.store is not None else ""
        self.place.setText(where if self.runs else f"No runs yet. Press Train. {where}".strip())
        self._fit_columns()
        self._update_views()

    def columns_width(self) -> int:
        """Pixels the tree needs to show every column whole (its content and its header)."""
        header = self.tree.header()
        widths = [max(self.tree.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(len(COLUMNS))]
        return sum(widths) + 2 * self.tree.frameWidth() + 4

    def _fit_columns(self) -> None:
        # the splitter may not squeeze the tree below its columns: no sideways scrolling
        self.tree.setMinimumWidth(self.columns_width())

    def checked_ids(self) -> list[str]:
        ids = []
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.checkState(0) == QtCore.Qt.CheckState.Checked:
                ids.append(item.data(0, QtCore.Qt.ItemDataRole.UserRole))
        return ids

    def set_checked(self, run_ids: list[str]) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            wanted = item.data(0, QtCore.Qt.ItemDataRole.UserRole) in run_ids
            item.setCheckState(0, QtCore.Qt.CheckState.Checked if wanted else QtCore.Qt.CheckState.Unchecked)

    def _run(self, run_id: str) -> RunInfo | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def selected_run(self) -> RunInfo | None:
        items = self.tree.selectedItems()
        return self._run(items[0].data(0, QtCore.Qt.ItemDataRole.UserRole)) if items else None

    def _update_views(self) -> None:
        selected = self.selected_run()
        self.continue_button.setEnabled(selected is not None and selected.weights is not None)
        self.delete_button.setEnabled(selected is not None and selected.id != self.active_run)
        self._update_plot()
        self._update_diff()

    def _update_plot(self) -> None:
        runs = [run for run in map(self._run, self.checked_ids()) if run is not None]
        overlay_runs(self.plot, runs, self.metric_box.currentData(), self.metric_box.currentText())

    def _diff_pair(self) -> tuple[RunInfo, RunInfo] | None:
        ids = self.checked_ids()
        if len(ids) != 2:
            items = self.tree.selectedItems()
            ids = [i.data(0, QtCore.Qt.ItemDataRole.UserRole) for i in items] if len(items) == 2 else []
        runs = [self._run(i) for i in ids]
        if len(runs) != 2 or None in runs:
            return None
        older, newer = sorted(runs, key=lambda r: r.id)
        return older, newer

    def _update_diff(self) -> None:
        pair = self._diff_pair()
        if pair is None:
            self.diff.setHtml("<p style='color:#8a90a0'>Tick two runs to see which settings and nodes differ.</p>")
            return
        a, b = pair
        lines = diff_runs(a.record, b.record).lines()
        head = f"<p><b>{a.started:%H:%M:%S}</b> → <b>{b.started:%H:%M:%S}</b></p>"
        if not lines:
            self.diff.setHtml(head + "<p style='color:#8a90a0'>Same graph, settings and seed.</p>")
            return
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        self.diff.setHtml(head + f"<ul style='margin-left:-18px'>{items}</ul>")

    def diff_lines(self) -> list[str]:
        pair = self._diff_pair()
        return diff_runs(pair[0].record, pair[1].record).lines() if pair else []

    def _continue(self) -> None:
        run = self.selected_run()
        if run is not None and run.weights is not None:
            self.continue_requested.emit(run)

    def _delete(self) -> None:
        run = self.selected_run()
        if run is None or self.store is None or run.id == self.active_run:
            return
        answer = QtWidgets.QMessageBox.question(
            self, "Delete run", f"Delete the run of {run.started:%Y-%m-%d %H:%M:%S} and its weights?"
        )
        if answer == QtWidgets.QMessageBox.StandardButton.Yes:
            self.store.delete(run.id)
            self.refresh()


def overlay_runs(plot: Plot, runs: list[RunInfo], key: str, label: str, names: list[str] | None = None) -> None:
    """Draw each run's per-epoch `key` on `plot`, one colour per run (the Runs panel and the Experiments
    panel's trial curves both use it); `names` label the curves (default: each run's start time)."""
    plot.clear_all()
    for index, run in enumerate(runs):
        rows = [r for r in run.history() if isinstance(r.get(key), (int, float))]
        if not rows:
            continue
        name = names[index] if names is not None else run.started.strftime("%H:%M:%S")
        curve = plot.curve(run.id, name, PALETTE[index % len(PALETTE)], width=2.0, symbol="o")
        curve.extend([r["epoch"] for r in rows], [r[key] for r in rows])
    plot.getPlotItem().setLabel("left", label)
    plot.redraw()
