"""The Problems panel: every problem the analysis found, with quick fixes where one exists.
Clicking a problem selects and centres its node."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from editor.richtext import rich
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


class ProblemRow(QtWidgets.QWidget):
    def __init__(self, problem: Problem, on_fix, parent=None):
        super().__init__(parent)
        self.problem = problem
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 5, 8, 5)
        layout.setSpacing(8)
        self.label = QtWidgets.QLabel(rich(problem.message))
        self.label.setWordWrap(True)
        self.label.setStyleSheet("background: transparent;")
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.NoTextInteraction)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        # the icon is as tall as the first line of text and centred on it, whatever the font
        self.icon = QtWidgets.QLabel()
        self.icon.setPixmap(severity_icon(problem.severity).pixmap(14, 14))
        self.icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.icon.setFixedSize(16, max(16, self.label.fontMetrics().height()))
        self.icon.setStyleSheet("background: transparent;")
        layout.addWidget(self.icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1, QtCore.Qt.AlignmentFlag.AlignTop)
        self.fix_button: QtWidgets.QPushButton | None = None
        if problem.fix:
            self.fix_button = QtWidgets.QPushButton(problem.fix.describe())
            self.fix_button.setObjectName("quickFix")
            self.fix_button.setToolTip(rich("Quick fix: " + (problem.hint or problem.fix.describe())))
            self.fix_button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
            self.fix_button.clicked.connect(lambda: on_fix(problem))
            layout.addWidget(self.fix_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)

    def height_for(self, width: int) -> int:
        """The row's height at `width`: the wrapped text's, or the button's if taller."""
        margins = self.layout().contentsMargins()
        spacing = self.layout().spacing()
        text_width = width - margins.left() - margins.right() - self.icon.width() - spacing
        if self.fix_button is not None:
            text_width -= self.fix_button.sizeHint().width() + spacing
        text = self.label.heightForWidth(max(40, text_width))
        button = self.fix_button.sizeHint().height() if self.fix_button is not None else 0
        return max(text, button, self.icon.height()) + margins.top() + margins.bottom()


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
        self.list.viewport().installEventFilter(self)
        # rows are widgets sized to their text: an item padding would cut their last line off
        self.list.setStyleSheet("QListWidget::item { padding: 0px; }")

    def show_analysis(self, analysis: Analysis) -> None:
        self.problems = list(analysis.problems)
        self.list.clear()
        for problem in self.problems:
            item = QtWidgets.QListWidgetItem()
            row = ProblemRow(problem, self.fix_requested.emit)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, problem.node_id)
            item.setToolTip(rich(problem.message))
            self.list.addItem(item)
            self.list.setItemWidget(item, row)
        self._size_rows()
        self.list.setVisible(bool(self.problems))
        self.empty.setVisible(not self.problems)
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = sum(p.severity == "warning" for p in self.problems)
        self.count_changed.emit(errors, warnings)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.list.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._size_rows()  # word-wrapped rows need their height recomputed for the new width
        return super().eventFilter(watched, event)

    def _size_rows(self) -> None:
        width = self.list.viewport().width()
        for index in range(self.list.count()):
            item = self.list.item(index)
            row = self.list.itemWidget(item)
            if row is not None:
                item.setSizeHint(QtCore.QSize(width, row.height_for(width)))

    def set_empty_text(self, text: str) -> None:
        """What the panel says when it lists nothing (an empty graph is not one that can train)."""
        self.empty.setText(text)

    def row(self, index: int) -> ProblemRow:
        return self.list.itemWidget(self.list.item(index))

    def _on_clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        node_id = item.data(QtCore.Qt.ItemDataRole.UserRole)
        if node_id:
            self.node_activated.emit(node_id)
