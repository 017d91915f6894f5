"""The graph's training block as a form, built from the engine's TRAINING_PARAMS schema.

Like the properties panel: each value is checked with `Param.check` / `parse_text` and
becomes one undoable edit, so the settings are saved with the graph. The device is chosen
in the toolbar instead (it belongs to this machine, not to the graph file).
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from editor.document import GraphDocument
from editor.panels.param_widgets import ParamEditor
from engine.graph.training import TRAINING_INDEX, TRAINING_PARAMS, default_training
from engine.registry import ParamError

SECTIONS = (
    ("RUN", ("epochs", "batch_size", "seed", "mixed_precision", "grad_clip")),
    ("LEARNING-RATE SCHEDULE", ("schedule", "schedule_step_size", "schedule_gamma", "schedule_patience")),
    ("EARLY STOPPING", ("early_stopping", "monitor", "patience", "min_delta", "restore_best_weights")),
)
IN_TOOLBAR = ("device",)


def set_training_value(document: GraphDocument, name: str, value: Any = None, text: str | None = None) -> str | None:
    """Check and apply one training setting as an undoable edit; the refusal message, or None."""
    param = TRAINING_INDEX[name]
    try:
        checked = param.parse_text(text) if text is not None else param.check(value)
    except ParamError as exc:
        return str(exc)
    if document.graph.training.get(name, param.default) != checked:
        document.edit(f"Set training {name.replace('_', ' ')}", lambda g: g.training.__setitem__(name, checked))
    return None


class TrainingSettingsForm(QtWidgets.QScrollArea):
    def __init__(self, document: GraphDocument, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.editors: dict[str, ParamEditor] = {}
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        page = QtWidgets.QWidget()
        columns = QtWidgets.QHBoxLayout(page)
        columns.setContentsMargins(14, 10, 14, 10)
        columns.setSpacing(28)
        listed = {name for _, names in SECTIONS for name in names}
        sections = list(SECTIONS)
        rest = tuple(p.name for p in TRAINING_PARAMS if p.name not in listed and p.name not in IN_TOOLBAR)
        if rest:
            sections.append(("OTHER", rest))
        for title, names in sections:
            column = QtWidgets.QVBoxLayout()
            column.setSpacing(6)
            label = QtWidgets.QLabel(title)
            label.setObjectName("sectionTitle")
            column.addWidget(label)
            form = QtWidgets.QFormLayout()
            form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            form.setHorizontalSpacing(10)
            form.setVerticalSpacing(7)
            for name in names:
                param = TRAINING_INDEX[name]
                editor = ParamEditor(param, self._commit)
                editor.widget.setToolTip(param.description)
                editor.widget.setMinimumWidth(110)
                text = QtWidgets.QLabel(name.replace("_", " "))
                text.setToolTip(param.description)
                form.addRow(text, editor.widget)
                self.editors[name] = editor
            column.addLayout(form)
            column.addStretch(1)
            columns.addLayout(column)
        columns.addStretch(1)
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        wrapper = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(wrapper)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)
        outer.addWidget(self.error)
        outer.addStretch(1)
        self.setWidget(wrapper)
        document.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        values = {**default_training(), **self.document.graph.training}
        for name, editor in self.editors.items():
            editor.set_value(values[name])

    def submit(self, name: str, value: Any = None, text: str | None = None) -> bool:
        problem = set_training_value(self.document, name, value, text)
        if problem:
            self.error.setText(f"Not applied — {problem}")
            self.error.show()
            self.refresh()
            return False
        self.error.hide()
        return True

    def _commit(self, name: str, value: Any, text: str | None) -> None:
        self.submit(name, value, text)
