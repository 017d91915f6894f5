"""The Inspector: see inside the network, node by node, during and after training.

`install_inspector(window)` adds the dock beside Help and Insights and connects it to the
canvas selection, the training runs and the confusion matrix; the window adds only that call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore

from editor.inspector.panel import InspectorPanel

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow


class InspectorController(QtCore.QObject):
    """Tells the panel which run and node to show: the run training now, else the run selected in
    the Runs list, else the graph's latest; the node selected on the canvas."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.panel = InspectorPanel()
        self.dock = window._dock("Inspector", self.panel, "inspector")
        area = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        window.addDockWidget(area, self.dock)
        window.tabifyDockWidget(window.insights_dock, self.dock)
        training = window.training
        window.canvas.selection_changed.connect(self._on_selection)
        training.session.message.connect(self._on_message)
        training.run_finished.connect(self._on_finished)
        window.document.loaded.connect(self.show_latest)
        training.dashboard.runs.tree.itemSelectionChanged.connect(self._on_run_selected)
        training.insights.confusion.cell_clicked.connect(self.show_cell)
        # behind another tab the panel draws nothing; a live run's epochs are drawn when it shows again
        self.dock.visibilityChanged.connect(lambda visible: self.panel.set_paused(not visible))
        self.panel.set_paused(not self.dock.isVisible())
        self.show_latest()

    def _on_selection(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1:
            self.panel.set_node(node_ids[0])

    def _on_message(self, kind: str, _data: Any) -> None:
        training = self.window.training
        if kind == "started" and training.run_dir is not None:
            self.panel.set_run(training.run_dir, live=True)

    def _on_finished(self, data: dict) -> None:
        folder = data.get("run_dir")
        self.panel.set_run(Path(folder) if folder else self.panel.run_dir, live=False)

    def _on_run_selected(self) -> None:
        if self.panel.live:
            return  # the run training stays in view
        run = self.window.training.dashboard.runs.selected_run()
        if run is not None:
            self.panel.set_run(run.folder)

    def show_latest(self) -> None:
        """The graph's newest run that is not training (a graph just opened, or no run at all)."""
        if self.panel.live and self.window.training.session.state != "idle":
            return
        store = self.window.training.dashboard.runs.store
        runs = store.runs() if store is not None else []
        latest = next((r for r in runs if r.status != "running"), None)
        self.panel.set_run(latest.folder if latest is not None else None)

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        self.dock.show()
        self.dock.raise_()
        self.panel.model_tabs.show_cell(true_class, predicted_class)


def install_inspector(window: MainWindow) -> InspectorController:
    return InspectorController(window)
