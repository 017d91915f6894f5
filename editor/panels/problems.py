"""The Problems panel: every problem the analysis found, with quick fixes where one exists.
Clicking a problem selects and centres its node."""

from __future__ import annotations

import html
import re

from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from engine.analysis import Analysis, Problem

SEVERITY_LABEL = {"error": "Error", "warning": "Warning", "info": "Note"}


def severity_icon(severity: str, size: int = 14) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(theme.qcolor(theme.SEVERITY_COLORS[severity]))
    painter.drawEllipse(QtCore.QRectF(1, 1, size - 2, size - 2))
    painter.setPen(QtGui.QColor(25, 25, 30))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(size - 4)
    painter.setFont(font)
    painter.drawText(
        QtCore.QRectF(0, 0, size, size), QtCore.Qt.AlignmentFlag.AlignCenter, "i" if severity == "info" else "!"
    )
    painter.end()
    return QtGui.QIcon(pixmap)


def rich_message(text: str) -> str:
    """Problem messages mark ids and ports with `backticks`: show them as code."""
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<span style='color:#c8d3ff; font-family:monospace'>\1</span>", escaped)


class ProblemRow(QtWidgets.QWidget):
    def __init__(self, problem: Problem, on_fix, parent=None):
        super().__init__(parent)
        self.problem = problem
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 5, 8, 5)
        layout.setSpacing(8)
        icon = QtWidgets.QLabel()
        icon.setPixmap(severity_icon(problem.severity).pixmap(14, 14))
        icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        icon.setStyleSheet("background: transparent; padding-top: 2px;")
        layout.addWidget(icon)
        self.label = QtWidgets.QLabel(rich_message(problem.message))
        self.label.setWordWrap(True)
        self.label.setStyleSheet("background: transparent;")
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.label, 1)
        self.fix_button: QtWidgets.QPushButton | None = None
        if problem.fix:
            self.fix_button = QtWidgets.QPushButton(problem.fix.describe())
            self.fix_button.setObjectName("quickFix")
            self.fix_button.setToolTip("Quick fix: " + (problem.hint or problem.fix.describe()))
            self.fix_button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
            self.fix_button.clicked.connect(lambda: on_fix(problem))
            layout.addWidget(self.fix_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)


class ProblemsPanel(QtWidgets.QWidget):
    node_activated = QtCore.Signal(str)
    fix_requested = QtCore.Signal(object)  # Problem
    count_changed = QtCore.Signal(int, int)  # errors, warnings

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.list = QtWidgets.QListWidget()
        self.list.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.empty = QtWidgets.QLabel("No problems: this graph can be trained.")
        self.empty.setObjectName("muted")
        self.empty.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.problems: list[Problem] = []
        self.list.itemClicked.connect(self._on_clicked)
        self.list.itemActivated.connect(self._on_clicked)

    def show_analysis(self, analysis: Analysis) -> None:
        self.problems = list(analysis.problems)
        self.list.clear()
        for problem in self.problems:
            item = QtWidgets.QListWidgetItem()
            row = ProblemRow(problem, self.fix_requested.emit)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, problem.node_id)
            item.setToolTip(problem.message)
            self.list.addItem(item)
            self.list.setItemWidget(item, row)
            item.setSizeHint(row.sizeHint())
        self.list.setVisible(bool(self.problems))
        self.empty.setVisible(not self.problems)
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = sum(p.severity == "warning" for p in self.problems)
        self.count_changed.emit(errors, warnings)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        # word-wrapped rows need their height recomputed for the new width
        width = self.list.viewport().width()
        for index in range(self.list.count()):
            item = self.list.item(index)
            row = self.list.itemWidget(item)
            if row is not None:
                item.setSizeHint(
                    QtCore.QSize(
                        width, row.heightForWidth(width) if row.hasHeightForWidth() else row.sizeHint().height()
                    )
                )

    def row(self, index: int) -> ProblemRow:
        return self.list.itemWidget(self.list.item(index))

    def _on_clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        node_id = item.data(QtCore.Qt.ItemDataRole.UserRole)
        if node_id:
            self.node_activated.emit(node_id)
