"""The properties panel: a form for the selected node, built from its parameter schema.

Every value is checked with the engine's `Param.check` / `parse_text` before it becomes an
undoable edit; a refused value (out of range, wrong kind, a taken id) shows its reason right
under its field, the field is marked, and the widget goes back to the value in the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtWidgets

from editor import theme
from editor.document import GraphDocument
from editor.panels.param_widgets import SWEEPABLE_KINDS, ParamEditor, with_sweep_button
from editor.richtext import plain
from engine.graph import GraphError
from engine.registry import ParamError, catalog


def _shown(value: Any) -> str:
    """A parameter value as its field shows it (0.001, not 0.0010000; lists comma-separated)."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class WrappedNote(QtWidgets.QLabel):
    """A word-wrapped note whose height follows its width: in the form (inside a scroll area) a
    wrapped label got the height of its text at another width, and a 4-line hint lost a line."""

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class PropertiesPanel(QtWidgets.QScrollArea):
    renamed = QtCore.Signal(str, str)  # old id, new id
    sweep_requested = QtCore.Signal(str, str)  # node id, parameter: add it to the experiment

    def __init__(self, document: GraphDocument, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.registry = catalog()
        self.node_id: str | None = None
        self.block_id: str | None = None  # a selected collapsed block (see show_block)
        self.block_details: QtWidgets.QLabel | None = None
        self._block_view: tuple[str, list] = ("", [])
        self._type_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        # field name -> (its form, the message line under it, the input to mark)
        self.field_messages: dict[str, tuple[QtWidgets.QFormLayout, QtWidgets.QLabel, QtWidgets.QWidget]] = {}
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.id_edit: QtWidgets.QLineEdit | None = None
        self.stats: QtWidgets.QLabel | None = None
        self._stats_text = ""
        self.name_edit: QtWidgets.QLineEdit | None = None
        self.description_edit: QtWidgets.QPlainTextEdit | None = None
        document.changed.connect(self.refresh)
        self.show_node(None)

    # -- which node ---------------------------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id if node_id in self.document.graph.nodes else None
        self.block_id = None
        self._rebuild()

    def show_block(self, block_id: str, details_html: str, actions: list[tuple[str, Callable[[], None]]]) -> None:
        """A selected collapsed block: what it holds (`details_html`: nodes, parameters, port shapes,
        problems) and buttons for `actions` (open it, ungroup it); its members keep their own forms."""
        if block_id not in self.document.graph.blocks:
            self.show_node(None)
            return
        self.node_id = None
        self.block_id = block_id
        self._block_view = (details_html, actions)
        self._rebuild()

    def set_block_details(self, details_html: str) -> None:
        """The selected block's nodes, parameters, port shapes and problems, after a new analysis."""
        self._block_view = (details_html, self._block_view[1])
        if self.block_details is not None:
            self.block_details.setText(details_html)

    def refresh(self) -> None:
        graph = self.document.graph
        if self.block_id is not None:
            if self.block_id not in graph.blocks:  # ungrouped or deleted
                self.show_node(None)
            return
        if self.node_id is not None and self.node_id not in graph.nodes:
            self.show_node(None)
            return
        if self.node_id is not None and graph.nodes[self.node_id].type_id != self._type_id:
            self._rebuild()
            return
        self._load_values()

    def _rebuild(self) -> None:
        self.editors = {}
        self.field_messages = {}
        self.rows: dict[str, tuple[QtWidgets.QFormLayout, list[QtWidgets.QWidget]]] = {}
        self.choice_hints: dict[str, QtWidgets.QLabel] = {}
        self.id_edit = self.name_edit = self.description_edit = None
        self.stats = None
        self.error.setParent(None)
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        # the page takes the panel's width, never more: long text wraps instead of running off the side
        page.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        if self.block_id is not None:
            self._type_id = None
            self._build_block_form(layout, *self._block_view)
        elif self.node_id is None:
            self._type_id = None
            self._build_graph_form(layout)
        else:
            self._build_node_form(layout)
        layout.addWidget(self.error)
        self.error.hide()
        layout.addStretch(1)
        self.setWidget(page)
        self._load_values()

    def set_stats(self, text: str) -> None:
        """The selected node's output shape and parameter count, from the live analysis."""
        self._stats_text = text
        if self.stats is not None:
            self.stats.setText(text)
            self.stats.setVisible(bool(text))

    def _build_block_form(
        self, layout: QtWidgets.QVBoxLayout, details_html: str, actions: list[tuple[str, Callable[[], None]]]
    ) -> None:
        block = self.document.graph.blocks[self.block_id]
        title = QtWidgets.QLabel(f"Block {block.title or self.block_id}")
        title.setObjectName("panelTitle")
        layout.addWidget(title)
        self.block_details = QtWidgets.QLabel(details_html)
        self.block_details.setWordWrap(True)
        self.block_details.setTextFormat(QtCore.Qt.TextFormat.RichText)
        layout.addWidget(self.block_details)
        for label, action in actions:
            button = QtWidgets.QPushButton(label)
            button.clicked.connect(action)
            layout.addWidget(button)

    def _build_graph_form(self, layout: QtWidgets.QVBoxLayout) -> None:
        title = QtWidgets.QLabel("Graph")
        title.setObjectName("panelTitle")
        layout.addWidget(title)
        note = QtWidgets.QLabel("Nothing selected. Select a node to edit its parameters.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        form = self._form(layout)
        self.name_edit = QtWidgets.QLineEdit()
        self.name_edit.setPlaceholderText("untitled")
        self.name_edit.editingFinished.connect(self._commit_name)
        form.addRow("Name", self.name_edit)
        self.description_edit = QtWidgets.QPlainTextEdit()
        self.description_edit.setFixedHeight(80)
        self.description_edit.setPlaceholderText("What this network does")
        form.addRow("Description", self.description_edit)
        apply = QtWidgets.QPushButton("Apply description")
        apply.clicked.connect(self._commit_description)
        form.addRow("", apply)

    def _build_node_form(self, layout: QtWidgets.QVBoxLayout) -> None:
        node = self.document.graph.nodes[self.node_id]
        self._type_id = node.type_id
        known = node.type_id in self.registry
        node_type = self.registry.get(node.type_id) if known else None
        header = QtWidgets.QLabel(node_type.title if node_type else f"Unknown type {node.type_id}")
        header.setObjectName("panelTitle")
        layout.addWidget(header)
        if node_type:
            color = theme.hex_color(theme.category_color(node_type.category))
            chip = QtWidgets.QLabel(
                f"<span style='color:{color}; font-weight:600'>"
                f"{theme.CATEGORY_LABELS.get(node_type.category, node_type.category)}</span>"
                f"<span style='color:#8a90a0'> · {node_type.summary}</span>"
            )
            chip.setWordWrap(True)
            layout.addWidget(chip)
        self.stats = QtWidgets.QLabel(self._stats_text)
        self.stats.setObjectName("muted")
        self.stats.setVisible(bool(self._stats_text))
        layout.addWidget(self.stats)
        form = self._form(layout)
        self.id_edit = QtWidgets.QLineEdit()
        self.id_edit.setToolTip("The node's id: names its module in generated code; letters, digits and _")
        self.id_edit.editingFinished.connect(self._commit_rename)
        form.addRow("Id", self.id_edit)
        self._add_field_message(form, "id", self.id_edit)
        if node_type is None:
            return
        basic = [p for p in node_type.params if not p.advanced]
        advanced = [p for p in node_type.params if p.advanced]
        for param in basic:
            self._add_editor(form, param)
        if advanced:
            section = QtWidgets.QLabel("ADVANCED")
            section.setObjectName("sectionTitle")
            layout.addWidget(section)
            form = self._form(layout)
            for param in advanced:
                self._add_editor(form, param)

    def _form(self, layout: QtWidgets.QVBoxLayout) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(7)
        layout.addLayout(form)
        return form

    def _add_editor(self, form: QtWidgets.QFormLayout, param) -> None:
        editor = ParamEditor(param, self._on_commit)
        editor.widget.setToolTip(param.description)
        label = QtWidgets.QLabel(param.name.replace("_", " "))
        label.setToolTip(param.description)
        field = editor.widget
        if param.kind in SWEEPABLE_KINDS and self.node_id is not None:
            node_id, name = self.node_id, param.name
            field = with_sweep_button(field, lambda: self.sweep_requested.emit(node_id, name))
        form.addRow(label, field)
        self.editors[param.name] = editor
        self.rows[param.name] = (form, [field])
        if param.choice_descriptions:  # one line under a chooser: what the chosen option is
            hint = WrappedNote()
            hint.setObjectName("muted")
            form.addRow("", hint)
            self.choice_hints[param.name] = hint
            self.rows[param.name][1].append(hint)
        self._add_field_message(form, param.name, editor.input_widget)

    def _show_applicable(self, params: dict[str, Any]) -> None:
        """Hide the fields that mean nothing for the current choices (image size for built-in
        datasets), and say what the chosen option of each chooser is."""
        for name, (form, widgets) in self.rows.items():
            param = self.editors[name].param
            for widget in widgets:
                form.setRowVisible(widget, param.applies(params))
            if name in self.choice_hints:
                chosen = params.get(name, param.default)  # a file may hold a list or object here
                text = param.choice_descriptions.get(chosen, "") if isinstance(chosen, str) else ""
                self.choice_hints[name].setText(text)
                form.setRowVisible(self.choice_hints[name], bool(text) and param.applies(params))

    def applicable_fields(self) -> list[str]:
        """The parameter fields shown for the selected node."""
        return [name for name, (_form, widgets) in self.rows.items() if not widgets[0].isHidden()]

    def _add_field_message(self, form: QtWidgets.QFormLayout, name: str, field: QtWidgets.QWidget) -> None:
        """A hidden line under a field for the reason a value typed there was refused."""
        message = QtWidgets.QLabel()
        message.setObjectName("formError")
        message.setWordWrap(True)
        form.addRow("", message)
        form.setRowVisible(message, False)
        self.field_messages[name] = (form, message, field)

    def field_message(self, name: str) -> str:
        """The refusal shown under field `name` ("" when none is shown)."""
        if name not in self.field_messages:
            return ""
        _form, message, _field = self.field_messages[name]
        return message.text() if not message.isHidden() else ""

    def _show_field_message(self, name: str, text: str) -> None:
        form, message, field = self.field_messages[name]
        message.setText(text)
        form.setRowVisible(message, bool(text))
        field.setProperty("invalid", bool(text))
        field.style().unpolish(field)
        field.style().polish(field)

    def _load_values(self) -> None:
        graph = self.document.graph
        if self.block_id is not None:
            return
        if self.node_id is None:
            if self.name_edit is not None:
                blocker = QtCore.QSignalBlocker(self.name_edit)
                self.name_edit.setText(graph.name)
                del blocker
            if self.description_edit is not None and self.description_edit.toPlainText() != graph.description:
                self.description_edit.setPlainText(graph.description)
            return
        node = graph.nodes[self.node_id]
        if self.id_edit is not None:
            self.id_edit.setText(node.id)
        for name, editor in self.editors.items():
            editor.set_value(node.params.get(name, editor.param.default))
        self._show_applicable(node.params)

    # -- edits ---------------------------------------------------------------------------------
    def submit(self, name: str, value: Any = None, text: str | None = None) -> bool:
        """Check a value for parameter `name` of the shown node and apply it as one undoable
        edit. Returns False, with the reason shown, when the value is refused."""
        if self.node_id is None or name not in self.editors:
            return False
        param = self.editors[name].param
        try:
            checked = param.parse_text(text) if text is not None else param.check(value)
        except ParamError as exc:
            kept = self.document.graph.nodes[self.node_id].params.get(name, param.default)
            self._refuse(f"{exc.message}; kept {_shown(kept)}", name)
            return False
        node_id = self.node_id
        self._show_field_message(name, "")
        if self.document.graph.nodes[node_id].params.get(name) == checked:
            self.error.hide()
            return True

        def change(graph) -> None:
            graph.nodes[node_id].params[name] = checked

        self.document.edit(f"Set {name} of {node_id}", change)
        self.error.hide()
        return True

    def _on_commit(self, name: str, value: Any, text: str | None) -> None:
        self.submit(name, value, text)

    def _refuse(self, message: str, field: str | None = None) -> None:
        """Say why a value was not applied, under its field when there is one, and show the graph's value again."""
        if field in self.field_messages:
            self._show_field_message(field, plain(f"Not applied: {message}"))
        else:
            self.error.setText(plain(f"Not applied — {message}"))
            self.error.show()
        self._load_values()

    def _commit_rename(self) -> None:
        if self.id_edit is None or self.node_id is None:
            return
        new, old = self.id_edit.text().strip(), self.node_id
        if new == old:
            return
        try:
            probe = self.document.graph.copy()
            probe.rename_node(old, new)
        except GraphError as exc:
            self._refuse(str(exc), "id")
            return
        self.node_id = new
        self.document.edit(f"Rename {old} to {new}", lambda g: g.rename_node(old, new))
        self.error.hide()
        self.renamed.emit(old, new)

    def _commit_name(self) -> None:
        if self.name_edit is not None:
            text = self.name_edit.text().strip()
            self.document.edit("Rename graph", lambda g: setattr(g, "name", text))

    def _commit_description(self) -> None:
        if self.description_edit is not None:
            text = self.description_edit.toPlainText().strip()
            self.document.edit("Edit description", lambda g: setattr(g, "description", text))
