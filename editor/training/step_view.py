"""Step mode: the Step button trains exactly one batch and shows backpropagation on the canvas.

Each press runs `engine.training.stepping.BatchStepper.step` in this process (one batch of a
small model takes milliseconds) and shows, per weighted layer, the gradient norm and the relative
weight change |dW|/|W| (a table in the Training panel's Step tab and a badge on each layer),
and colours every edge by the size of the gradient that flowed back along it (blue: tiny, red:
large). Editing the graph restarts stepping from fresh weights; Train clears the colours.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from editor.canvas.collapsed import graph_end
from editor.canvas.pipes import ShapePipeItem
from editor.richtext import plain
from engine.graph import GraphError
from engine.training.errors import DivergedError, TrainingError

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow
    from editor.training.dashboard import TrainingDashboard
    from engine.training.stepping import BatchStepper, StepReport

# The edge colour scale: log10 of the gradient norm from LOW (blue) to HIGH (red).
LOW, HIGH = -6.0, 1.0
STOPS = ((0.0, (70, 110, 230)), (0.45, (60, 190, 170)), (0.75, (240, 200, 60)), (1.0, (235, 72, 72)))
STEP_TIP = "Train exactly one batch and show each layer's gradient and weight change, with edges coloured by gradient"
IDLE_TEXT = (
    "<b>Step mode</b>: press <b>Step</b> (F8) to train exactly one batch. Each layer then shows its gradient norm "
    "and how far its weights moved (|dW|/|W|), and every edge is coloured by the gradient that flowed back "
    "along it: backpropagation, one batch at a time."
)


def gradient_color(norm: float) -> tuple[int, int, int]:
    """Blue for a vanishing gradient (1e-6 and below), through teal and yellow, to red (10 and above)."""
    level = math.log10(norm) if norm > 0 else LOW
    t = min(1.0, max(0.0, (level - LOW) / (HIGH - LOW)))
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return tuple(round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
    return STOPS[-1][1]


def _short(value: float) -> str:
    """`1e-07` -> `1e-7`: a badge on a node header has room for little."""
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")


class StepPanel(QtWidgets.QWidget):
    """The Step tab: the last step's batch and loss, a table of layers, and the colour legend."""

    step_requested = QtCore.Signal()
    restart_requested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QtWidgets.QLabel(IDLE_TEXT)
        self.summary.setObjectName("stepSummary")
        self.summary.setWordWrap(True)
        self.step_button = QtWidgets.QPushButton("Step one batch")
        self.step_button.setObjectName("stepButton")
        self.step_button.setToolTip(STEP_TIP + " (F8)")
        self.step_button.clicked.connect(self.step_requested)
        restart = QtWidgets.QPushButton("Restart")
        restart.setToolTip("Start stepping again from fresh initial weights")
        restart.clicked.connect(self.restart_requested)
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setObjectName("stepTable")
        self.table.setHorizontalHeaderLabels(["Layer", "Gradient norm", "|dW| / |W|", "Weights |W|"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.step_button)
        buttons.addWidget(restart)
        buttons.addStretch(1)
        buttons.addWidget(Legend())
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

    def show_report(self, report: StepReport) -> None:
        if len(report.losses) == 1:
            losses = f"loss {next(iter(report.losses.values())):.4g}"
        else:
            losses = ", ".join(f"{name} {value:.4g}" for name, value in report.losses.items())
        self.summary.setText(
            f"<b>Step {report.step}</b>: epoch {report.epoch}, batch {report.batch + 1} of {report.batches} "
            f"({report.size} samples) · {losses}. The gradient flows back from the loss: each layer's "
            "weights move by the learning rate times it."
        )
        self.table.setRowCount(len(report.layers))
        for row, layer in enumerate(report.layers):
            cells = [
                layer.node_id,
                f"{layer.grad_norm:.2e}",
                f"{layer.relative_change:.2e}",
                f"{layer.weight_norm:.3g}",
            ]
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 1:
                    item.setForeground(QtGui.QColor(*gradient_color(layer.grad_norm)))
                self.table.setItem(row, column, item)

    def clear(self, text: str = IDLE_TEXT) -> None:
        self.summary.setText(text)
        self.table.setRowCount(0)


class Legend(QtWidgets.QWidget):
    """The edge colour scale: a bar from 1e-6 (blue) to 10 (red)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(220, 30)
        self.setToolTip("Edge colour: the norm of the gradient that flowed back along the edge in the last step")

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QtGui.QPainter(self)
        bar = QtCore.QRectF(16, 4, self.width() - 32, 10)  # room for the end labels
        gradient = QtGui.QLinearGradient(bar.topLeft(), bar.topRight())
        for t, rgb in STOPS:
            gradient.setColorAt(t, QtGui.QColor(*rgb))
        painter.fillRect(bar, gradient)
        painter.setPen(QtGui.QColor(170, 176, 190))
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for level in (-6, -4, -2, 0):
            x = bar.left() + (level - LOW) / (HIGH - LOW) * bar.width()
            painter.drawText(QtCore.QRectF(x - 20, 15, 40, 14), QtCore.Qt.AlignmentFlag.AlignCenter, f"1e{level}")


class StepMode(QtCore.QObject):
    """Owns the stepper (built from the graph on the first Step, dropped when the graph changes)."""

    def __init__(self, window: MainWindow, dashboard: TrainingDashboard):
        super().__init__(window)
        self.window, self.document = window, window.document
        self.panel = StepPanel()
        dashboard.tabs.addTab(self.panel, "Step")
        self.dashboard = dashboard
        self.stepper: BatchStepper | None = None
        self.last: StepReport | None = None
        self.panel.step_requested.connect(self.step)
        self.panel.restart_requested.connect(self.restart)
        self.document.changed.connect(self._graph_edited)

    def step(self) -> StepReport | None:
        """Train one batch and show it; None (said in the status bar) when the graph cannot train."""
        from engine.training.stepping import BatchStepper  # torch loads on the first Step, not at start-up
        from engine.training.trainer import Trainer

        try:
            if self.stepper is None:
                self.stepper = BatchStepper(Trainer(self.document.graph.copy(), settings={"device": "cpu"}))
            report = self.stepper.step()
        except (TrainingError, DivergedError, GraphError) as exc:
            self.stepper = None
            self.window.statusBar().showMessage(plain(f"Cannot step: {exc}"), 8000)
            self.panel.clear(f"<b>Cannot step</b>: {plain(str(exc))}")
            return None
        self.last = report
        self.panel.show_report(report)
        self._paint(report)
        self.window.show_training_panel()
        self.dashboard.tabs.setCurrentWidget(self.panel)
        return report

    def restart(self) -> None:
        self.stepper = None
        self.leave(IDLE_TEXT)

    def leave(self, text: str = IDLE_TEXT) -> None:
        """Take the step colours off the canvas (a run started, or the graph changed)."""
        if self.last is None:
            return
        self.last = None
        self.panel.clear(text)
        self.window.canvas.show_health({})
        self._color_edges({})

    def _graph_edited(self) -> None:
        if self.stepper is not None:
            self.stepper = None
            self.leave("The graph changed: the next <b>Step</b> starts again from fresh weights.")

    def _paint(self, report: StepReport) -> None:
        self.window.canvas.show_health(
            {
                layer.node_id: (
                    f"∇{_short(layer.grad_norm)} Δ{_short(layer.relative_change)}",
                    gradient_color(layer.grad_norm),
                )
                for layer in report.layers
            }
        )
        self._color_edges(report.port_gradients)

    def _color_edges(self, gradients: dict[tuple[str, str], float]) -> None:
        graph = self.document.graph
        for pipe in self.window.canvas.viewer.all_pipes():
            if not isinstance(pipe, ShapePipeItem) or not (pipe.output_port and pipe.input_port):
                continue
            end = (pipe.output_port.node.name, pipe.output_port.name)
            try:
                end = graph_end(graph, *end)
            except GraphError:
                continue
            norm = gradients.get(end)
            pipe.set_gradient_color(None if norm is None else gradient_color(norm))
            pipe.setToolTip(
                pipe.label.full_text + (f"\ngradient norm {norm:.2e} (last step)" if norm is not None else "")
            )
