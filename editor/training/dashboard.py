"""The Training panel: live plots, the runs of this graph, and the training settings."""

from __future__ import annotations

import csv
from typing import Any

from PySide6 import QtCore, QtWidgets

from editor.document import GraphDocument
from editor.training.doctor_card import DoctorCard
from editor.training.plots import LivePlots
from editor.training.runs_panel import RunsPanel
from editor.training.settings_form import TrainingSettingsForm


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """{"grad_norm": {"fc1": 0.1}} -> {"grad_norm.fc1": 0.1}; lists become text."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            for inner, v in value.items():
                flat[f"{key}.{inner}"] = v
        elif isinstance(value, list):
            flat[key] = "; ".join(str(v) for v in value)
        else:
            flat[key] = value
    return flat


def write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    flat = [flatten(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(flat)


class TrainingDashboard(QtWidgets.QWidget):
    help_requested = QtCore.Signal()
    export_csv_requested = QtCore.Signal()

    def __init__(self, document: GraphDocument, parent=None):
        super().__init__(parent)
        self.plots = LivePlots()
        self.doctor = DoctorCard()  # the training doctor: what the curves say and what to try
        self.runs = RunsPanel()
        self.settings = TrainingSettingsForm(document)
        self.title = QtWidgets.QLabel("No run yet — press <b>Train</b> (F5) to train the graph on the canvas.")
        self.title.setObjectName("runTitle")
        self.edited = QtWidgets.QLabel("Graph edited since this run started: changes apply to the next run")
        self.edited.setObjectName("editedChip")
        for label, width in ((self.title, 240), (self.edited, 200)):  # wrap rather than widen the panel at 1280x720
            label.setWordWrap(True)
            label.setMinimumWidth(width)
        self.edited.hide()
        # says when the plots update less often and in less detail (a busy machine: training comes first);
        # it takes the header's free space and nothing more (its size hint is ignored), so its text coming
        # and going never re-lays the header or the plots below, nor widens the panel at 1280x720
        self.pace_note = QtWidgets.QLabel()
        self.pace_text = ""  # the note in full (the label shows it elided to its width)
        self.pace_note.setObjectName("paceNote")
        self.pace_note.setStyleSheet("#paceNote { color: #c9a74a; }")
        self.pace_note.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.pace_note.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.pace_note.setToolTip(
            "The computer's cores are busy: the live plots refresh less often and in less detail, and the samples "
            "and training doctor less often, so training keeps its speed. No value is lost: the newest points are "
            "always drawn exactly, and the curves are complete when the run ends."
        )
        help_button = QtWidgets.QPushButton("Reading the curves")
        help_button.setObjectName("linkButton")
        help_button.clicked.connect(self.help_requested)
        png = QtWidgets.QPushButton("Save PNG…")
        png.setToolTip("Save the live plots as one PNG image (right-click a plot to save only that one)")
        png.clicked.connect(self.save_png_dialog)
        csv_button = QtWidgets.QPushButton("Export CSV…")
        csv_button.setToolTip("Save the metrics of every epoch of this run as CSV")
        csv_button.clicked.connect(self.export_csv_requested)
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(10, 4, 6, 0)
        header.setSpacing(8)
        header.addWidget(self.title)
        header.addWidget(self.edited)
        header.addWidget(self.pace_note, 1)
        for button in (help_button, png, csv_button):
            header.addWidget(button)
        live = QtWidgets.QWidget()
        live_layout = QtWidgets.QVBoxLayout(live)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.setSpacing(2)
        live_layout.addLayout(header)
        live_layout.addWidget(self.doctor)
        live_layout.addWidget(self.plots, 1)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(live, "Live")
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.settings, "Settings")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def hold_header(self, hold: bool) -> None:
        """From Train to the run's end the header line keeps at least its height: "Starting…" took one
        line and the run's title two, so the header grew as the child began training and re-laid (and
        repainted) all five plots below it, a large share of a half-second run's UI work."""
        self.title.setMinimumHeight(self.title.height() if hold and self.title.isVisible() else 0)

    def show_pace_note(self, text: str) -> None:
        """The note on coarser live updates ('' hides its text; the label keeps its place)."""
        self.pace_text = text
        metrics = self.pace_note.fontMetrics()
        width = self.pace_note.width()  # the header's free space (elided to it; the tooltip says it all)
        shown = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, width) if width > 20 else text
        if shown != self.pace_note.text():
            self.pace_note.setText(shown)

    def save_png(self, path: str) -> bool:
        return self.plots.grab().save(path)

    def save_png_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save plots", "training.png", "PNG images (*.png)")
        if path:
            self.save_png(path if path.lower().endswith(".png") else path + ".png")
