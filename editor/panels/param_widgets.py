"""One editor widget per parameter kind, built from the engine's Param schema.

Each editor reports a candidate value through `commit`; the properties panel checks it with
`Param.check` before anything reaches the graph, so Qt never sees an out-of-range value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from engine.registry import Param

INT_LIMIT = 2**31 - 1
SWEEPABLE_KINDS = ("int", "float", "bool", "choice")  # what an experiment can sweep (engine/sweeps/space.py)


def with_sweep_button(field: QtWidgets.QWidget, on_sweep: Callable[[], None]) -> QtWidgets.QWidget:
    """`field` with a small "sweep" button after it that adds the setting to the graph's experiment."""
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    button = QtWidgets.QToolButton()
    button.setText("sweep")
    button.setObjectName("sweepButton")
    button.setToolTip("Sweep this setting: add it to the experiment (Experiments panel)")
    button.clicked.connect(lambda _checked=False: on_sweep())
    layout.addWidget(field, 1)
    layout.addWidget(button)
    row.sweep_button = button  # type: ignore[attr-defined]
    return row


def _out_of_range(box: QtWidgets.QAbstractSpinBox, text: str, number: type) -> bool:
    try:
        value = number(text.strip())
    except ValueError:
        return False
    return not box.minimum() <= value <= box.maximum()


class FloatSpinBox(QtWidgets.QDoubleSpinBox):
    """A spin box that shows 0.001 as `0.001` and 1e-06 as `1e-06`, not `0.001000`.

    A number typed outside the range is not quietly put back: `out_of_range` carries the text,
    so the form can say why it was refused (Qt then shows the last good value again).
    """

    out_of_range = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)

    def fixup(self, text: str) -> str:
        if _out_of_range(self, text, float):
            self.out_of_range.emit(text.strip())
        return text

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if stripped in ("", "-", "+", ".", "-.", "e", "E") or stripped.lower().endswith(("e", "e-", "e+")):
            return QtGui.QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QtGui.QValidator.State.Invalid, text, pos
        if self.minimum() <= value <= self.maximum():
            return QtGui.QValidator.State.Acceptable, text, pos
        return QtGui.QValidator.State.Intermediate, text, pos


class IntSpinBox(QtWidgets.QSpinBox):
    """A whole-number spin box that lets 1000 be typed into a 1-512 field and reports it
    (`out_of_range`) instead of swallowing the keystroke that crossed the limit."""

    out_of_range = QtCore.Signal(str)

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if stripped in ("", "-", "+"):
            return QtGui.QValidator.State.Intermediate, text, pos
        try:
            value = int(stripped)
        except ValueError:
            return QtGui.QValidator.State.Invalid, text, pos
        if self.minimum() <= value <= self.maximum():
            return QtGui.QValidator.State.Acceptable, text, pos
        return QtGui.QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:
        if _out_of_range(self, text, int):
            self.out_of_range.emit(text.strip())
        return text


def mark_refused(widget: QtWidgets.QWidget, text: str) -> None:
    """A field with no room for a message line (a toolbar's): a red border and the reason in a
    tooltip that opens under it; empty `text` clears the mark."""
    widget.setProperty("invalid", bool(text))
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.setStatusTip(text)
    if text:
        below = widget.mapToGlobal(QtCore.QPoint(0, widget.height() + 2))
        QtWidgets.QToolTip.showText(below, text, widget, widget.rect(), 6000)


class ParamEditor(QtCore.QObject):
    """Binds one Param to one widget: `set_value` shows a value, `commit` reports an edit as
    (param name, value or None, text typed) — text is used for kinds parsed from text."""

    def __init__(self, param: Param, commit: Callable[[str, Any, str | None], None]):
        super().__init__()
        self.param = param
        self._commit = commit
        self.widget = self._build()

    def _build(self) -> QtWidgets.QWidget:
        param, kind = self.param, self.param.kind
        if kind == "int":
            box = IntSpinBox()
            box.setRange(
                int(max(param.minimum if param.minimum is not None else -INT_LIMIT, -INT_LIMIT)),
                int(min(param.maximum if param.maximum is not None else INT_LIMIT, INT_LIMIT)),
            )
            box.setKeyboardTracking(False)
            box.setGroupSeparatorShown(False)
            box.valueChanged.connect(lambda v: self._commit(param.name, int(v), None))
            box.out_of_range.connect(self._refused_by_range, QtCore.Qt.ConnectionType.QueuedConnection)
            return box
        if kind == "float":
            box = FloatSpinBox()
            box.setRange(
                param.minimum if param.minimum is not None else -1e12,
                param.maximum if param.maximum is not None else 1e12,
            )
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self._commit(param.name, float(v), None))
            box.out_of_range.connect(self._refused_by_range, QtCore.Qt.ConnectionType.QueuedConnection)
            return box
        if kind == "bool":
            box = QtWidgets.QCheckBox()
            box.toggled.connect(lambda v: self._commit(param.name, bool(v), None))
            return box
        if kind == "choice":
            box = QtWidgets.QComboBox()
            box.addItems(list(param.choices))
            box.currentTextChanged.connect(lambda v: self._commit(param.name, v, None))
            return box
        edit = QtWidgets.QLineEdit()
        if kind == "ints":
            edit.setPlaceholderText("e.g. 1, 28, 28")
        elif kind == "node_ids":
            edit.setPlaceholderText("node ids, comma separated (empty: all)")
        elif kind == "path":
            edit.setPlaceholderText("file or folder")
        edit.editingFinished.connect(lambda: self._commit(param.name, None, edit.text()))
        if kind != "path":
            return edit
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        browse = QtWidgets.QPushButton("…")
        browse.setFixedWidth(30)
        browse.setToolTip("Choose a file")
        browse.clicked.connect(lambda: self._browse(edit))
        layout.addWidget(edit)
        layout.addWidget(browse)
        row.line_edit = edit  # type: ignore[attr-defined]
        return row

    @QtCore.Slot(str)
    def _refused_by_range(self, text: str) -> None:
        # after the spin box has finished with its input; the form checks the text and says why
        self._commit(self.param.name, None, text)

    def _browse(self, edit: QtWidgets.QLineEdit) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.widget, f"Choose {self.param.name}", edit.text())
        if path:
            edit.setText(path)
            self._commit(self.param.name, None, path)

    @property
    def input_widget(self) -> QtWidgets.QWidget:
        return getattr(self.widget, "line_edit", self.widget)

    def set_value(self, value: Any) -> None:
        widget = self.input_widget
        blocker = QtCore.QSignalBlocker(widget)
        kind = self.param.kind
        try:
            if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
                # clamped: a spin box holds 32 bits, a file may hold more (the analysis reports the range)
                widget.setValue(max(widget.minimum(), min(widget.maximum(), value)))
            elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
                widget.setValue(float(value))
            elif kind == "bool":
                widget.setChecked(bool(value))
            elif kind == "choice":
                widget.setCurrentText(str(value))
            elif kind in ("ints", "node_ids") and isinstance(value, list):
                widget.setText(", ".join(str(v) for v in value))
            elif kind in ("str", "path"):
                widget.setText("" if value is None else str(value))
        finally:
            del blocker
