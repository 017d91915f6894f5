"""The Experiments panel: the sweep's definition, start and stop, the live trial table and its plots.

Left: the swept settings (their values editable as text, e.g. `log:1e-4:1e-1` or `32,64,128`),
the strategy, the trial budget, pruning, jobs. Middle: the trials, sortable, with "Apply best"
(one undoable edit) and "Show in Runs". Right: metric vs one setting, parallel coordinates, and
the selected trials' curves overlaid (the Runs panel's overlay).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtWidgets

from editor.document import GraphDocument
from editor.experiments import definition
from editor.experiments.plots import MetricVsParamPlot, ParallelCoordinatesPlot
from editor.experiments.trials_table import TrialsModel, TrialsSortProxy
from editor.training.plots import Plot
from editor.training.runs_panel import overlay_runs
from engine.runs import RunStore
from engine.sweeps import SweepSpecError
from engine.sweeps.experiment import STRATEGIES

VALUES_COLUMN = 1


class ExperimentsPanel(QtWidgets.QWidget):
    start_requested = QtCore.Signal()
    stop_requested = QtCore.Signal()
    show_runs_requested = QtCore.Signal(list)  # run ids

    def __init__(self, document: GraphDocument, runs: Callable[[], RunStore], parent=None):
        super().__init__(parent)
        self.document = document
        self.runs = runs
        self.table: dict[str, Any] = {}
        self._loading = False
        self.model = TrialsModel(self)
        self.proxy = TrialsSortProxy(self)
        self.proxy.setSourceModel(self.model)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        # the definition scrolls rather than hold the bottom panels' height at its ~360 px (1280x720)
        definition = QtWidgets.QScrollArea()
        definition.setWidgetResizable(True)
        definition.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        definition.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        definition.setWidget(self._build_definition())
        # as wide as its fields need (it scrolls only up and down), plus the scroll bar
        needed = definition.widget().minimumSizeHint().width() + definition.verticalScrollBar().sizeHint().width()
        definition.setMinimumWidth(needed)
        splitter.addWidget(definition)
        splitter.addWidget(self._build_trials())
        splitter.addWidget(self._build_plots())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([290, 560, 460])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        document.changed.connect(self.refresh_definition)
        self.refresh_definition()
        self.set_running(False)

    # -- building ---------------------------------------------------------------------------------
    def _build_definition(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(6)
        self.params = QtWidgets.QTableWidget(0, 3)
        self.params.setHorizontalHeaderLabels(["setting", "values", ""])
        self.params.verticalHeader().hide()
        header = self.params.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.params.setColumnWidth(2, 28)
        self.params.setToolTip(
            "Values: a list (32,64,128), every choice (*), lin:LOW:HIGH[:STEP] or log:LOW:HIGH[:N]. Double-click to edit."
        )
        self.params.itemChanged.connect(self._values_edited)
        self.params.setMinimumHeight(90)
        layout.addWidget(self.params, 1)
        add_row = QtWidgets.QHBoxLayout()
        self.add_box = QtWidgets.QComboBox()
        self.add_box.setEditable(True)
        self.add_box.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.add_box.lineEdit().setPlaceholderText("add a setting: adam.lr, training.batch_size…")
        add_button = QtWidgets.QPushButton("Add")
        add_button.clicked.connect(lambda: self.add_target(self.add_box.currentText().strip()))
        add_row.addWidget(self.add_box, 1)
        add_row.addWidget(add_button)
        layout.addLayout(add_row)
        form = QtWidgets.QFormLayout()
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.strategy = QtWidgets.QComboBox()
        for value, label in zip(STRATEGIES, ("grid (every combination)", "random", "TPE (Bayesian)"), strict=True):
            self.strategy.addItem(label, value)
        self.strategy.currentIndexChanged.connect(lambda: self._set_field("strategy", self.strategy.currentData()))
        self.trials = QtWidgets.QSpinBox()
        self.trials.setRange(1, 10_000)
        self.trials.setKeyboardTracking(False)
        self.trials.valueChanged.connect(lambda v: self._set_field("trials", int(v)))
        self.prune = QtWidgets.QCheckBox("stop poor trials early (median rule)")
        self.prune.toggled.connect(lambda v: self._set_field("prune", bool(v)))
        self.jobs = QtWidgets.QSpinBox()
        self.jobs.setRange(0, 64)
        self.jobs.setSpecialValueText("auto (cores)")
        self.epochs = QtWidgets.QSpinBox()
        self.epochs.setRange(0, 100_000)
        self.epochs.setSpecialValueText("the graph's")
        form.addRow("strategy", self.strategy)
        form.addRow("trials", self.trials)
        form.addRow("", self.prune)
        form.addRow("jobs", self.jobs)
        form.addRow("epochs", self.epochs)
        layout.addLayout(form)
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start sweep")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_requested)
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("muted")
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        return box

    def _build_trials(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, QtCore.Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(self._update_curves)
        layout.addWidget(self.view, 1)
        buttons = QtWidgets.QHBoxLayout()
        self.apply_button = QtWidgets.QPushButton("Apply best")
        self.apply_button.setToolTip("Write the best trial's values into the graph (Edit > Undo takes them back)")
        self.apply_button.clicked.connect(self.apply_best)
        self.runs_button = QtWidgets.QPushButton("Show in Runs")
        self.runs_button.setToolTip("Tick the selected trials in the Runs panel (curves overlaid, settings compared)")
        self.runs_button.clicked.connect(lambda: self.show_runs_requested.emit(self.selected_run_ids()))
        self.best_label = QtWidgets.QLabel()
        self.best_label.setObjectName("muted")
        buttons.addWidget(self.best_label, 1)
        buttons.addWidget(self.runs_button)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)
        return box

    def _build_plots(self) -> QtWidgets.QWidget:
        self.tabs = QtWidgets.QTabWidget()
        scatter_page = QtWidgets.QWidget()
        scatter_layout = QtWidgets.QVBoxLayout(scatter_page)
        scatter_layout.setContentsMargins(0, 4, 0, 0)
        self.x_box = QtWidgets.QComboBox()
        self.x_box.currentIndexChanged.connect(self._update_plots)
        self.scatter = MetricVsParamPlot()
        scatter_layout.addWidget(self.x_box)
        scatter_layout.addWidget(self.scatter, 1)
        self.parallel = ParallelCoordinatesPlot()
        self.curves = Plot("Selected trials", "metric")
        self.tabs.addTab(scatter_page, "Metric vs parameter")
        self.tabs.addTab(self.parallel, "Parallel coordinates")
        self.tabs.addTab(self.curves, "Curves")
        return self.tabs

    # -- the definition -----------------------------------------------------------------------------
    def refresh_definition(self) -> None:
        graph = self.document.graph
        doc = definition.experiment_doc(graph) or {}
        self._loading = True
        try:
            self.params.setRowCount(0)
            for entry in doc.get("params") or []:
                self._add_param_row(str(entry.get("target")), definition.values_text(entry, graph))
            self.strategy.setCurrentIndex(max(0, self.strategy.findData(doc.get("strategy", "tpe"))))
            self.trials.setValue(int(doc.get("trials", 20)) if isinstance(doc.get("trials"), int) else 20)
            self.prune.setChecked(doc.get("prune") is True)
            self.trials.setEnabled(self.strategy.currentData() != "grid")
            current = self.add_box.currentText()
            self.add_box.clear()
            self.add_box.addItems(definition.sweepable_targets(graph))
            self.add_box.setCurrentText(current)
        finally:
            self._loading = False
        self._update_planned()

    def _add_param_row(self, target: str, text: str) -> None:
        row = self.params.rowCount()
        self.params.insertRow(row)
        name = QtWidgets.QTableWidgetItem(target)
        name.setFlags(name.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
        self.params.setItem(row, 0, name)
        self.params.setItem(row, VALUES_COLUMN, QtWidgets.QTableWidgetItem(text))
        remove = QtWidgets.QToolButton()
        remove.setText("✕")
        remove.setToolTip(f"Stop sweeping {target}")
        remove.clicked.connect(lambda _=False, t=target: self.remove_target(t))
        self.params.setCellWidget(row, 2, remove)

    def add_target(self, target: str) -> bool:
        if not target:
            return False
        return self._edit(f"Sweep {target}", lambda g: definition.add_param(g, target))

    def remove_target(self, target: str) -> None:
        self._edit(f"Stop sweeping {target}", lambda g: definition.remove_param(g, target))

    def set_values(self, target: str, text: str) -> bool:
        return self._edit(f"Sweep {target} over {text}", lambda g: definition.set_values(g, target, text))

    def _values_edited(self, item: QtWidgets.QTableWidgetItem) -> None:
        if self._loading or item.column() != VALUES_COLUMN:
            return
        target = self.params.item(item.row(), 0).text()
        if not self.set_values(target, item.text().strip()):
            QtCore.QTimer.singleShot(0, self.refresh_definition)  # show the saved values again

    def _set_field(self, key: str, value: Any) -> None:
        if not self._loading:
            self._edit(f"Experiment {key}", lambda g: definition.set_field(g, key, value))

    def _edit(self, label: str, change: Callable) -> bool:
        try:
            self.document.edit(label, change)
        except SweepSpecError as exc:
            self.show_message(str(exc))
            return False
        self.show_message("")
        return True

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _update_planned(self) -> None:
        try:
            experiment = definition.checked_experiment(self.document.graph)
        except SweepSpecError as exc:
            self.start_button.setToolTip(str(exc))
            return
        self.start_button.setToolTip(f"{experiment.planned_trials()} trials, {experiment.strategy}")

    # -- running -------------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    # -- the trials ----------------------------------------------------------------------------------
    def set_table(self, table: dict[str, Any]) -> None:
        selected = set(self.selected_run_ids())
        self.table = table
        self.model.set_table(table)
        targets = list(table.get("targets") or [])
        if [self.x_box.itemText(i) for i in range(self.x_box.count())] != targets:
            blocker = QtCore.QSignalBlocker(self.x_box)
            self.x_box.clear()
            self.x_box.addItems(targets)
            del blocker
        self.view.resizeColumnsToContents()
        self._reselect(selected)
        best = self.best_row()
        metric = str(table.get("metric", "")).replace("_", " ")
        if best is None:
            self.best_label.setText("")
        else:
            shown = f"{best['best']:.1%}" if str(table.get("metric", "")).endswith("acc") else f"{best['best']:.4g}"
            self.best_label.setText(f"best: trial {best['trial']}, {metric} {shown}")
        self.apply_button.setEnabled(best is not None)
        self._update_plots()

    def best_row(self) -> dict[str, Any] | None:
        best = self.table.get("best_trial")
        return next((r for r in self.table.get("trials") or [] if r["trial"] == best), None)

    def apply_best(self) -> bool:
        best = self.best_row()
        if best is None:
            return False
        params = dict(best["params"])
        return self._edit(
            f"Apply best trial {best['trial']} of {self.table.get('experiment', 'the experiment')}",
            lambda g: definition.apply_best(g, params),
        )

    def selected_run_ids(self) -> list[str]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.rows[r]["run_id"] for r in rows if r < len(self.model.rows) and self.model.rows[r]["run_id"]]

    def select_trials(self, numbers: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        flags = QtCore.QItemSelectionModel.SelectionFlag.Select | QtCore.QItemSelectionModel.SelectionFlag.Rows
        for row, data in enumerate(self.model.rows):
            if data["trial"] in numbers:
                selection.select(self.proxy.mapFromSource(self.model.index(row, 0)), flags)

    def _reselect(self, run_ids: set[str]) -> None:
        if run_ids:
            self.select_trials([r["trial"] for r in self.model.rows if r["run_id"] in run_ids])

    def _logs(self, targets: list[str]) -> list[bool]:
        kinds = {}
        doc = definition.experiment_doc(self.document.graph) or {}
        for entry in doc.get("params") or []:
            kinds[entry.get("target")] = entry.get("kind")
        return [kinds.get(t) == "log" for t in targets]

    def _update_plots(self) -> None:
        rows = list(self.table.get("trials") or [])
        targets = list(self.table.get("targets") or [])
        metric = str(self.table.get("metric", "val_acc"))
        best = self.table.get("best_trial")
        logs = self._logs(targets)
        target = self.x_box.currentText()
        if target:
            self.scatter.show_trials(rows, target, metric, logs[targets.index(target)], best)
        self.parallel.show_trials(rows, targets, logs, metric, str(self.table.get("direction", "maximize")), best)

    def _update_curves(self) -> None:
        metric = str(self.table.get("metric", "val_acc"))
        store = self.runs()
        runs, names = [], []
        by_run = {r["run_id"]: r for r in self.model.rows}
        for run_id in self.selected_run_ids():
            try:
                runs.append(store.get(run_id))
            except KeyError:
                continue
            names.append(f"trial {by_run[run_id]['trial']}")
        overlay_runs(self.curves, runs, metric, metric.replace("_", " "), names)
