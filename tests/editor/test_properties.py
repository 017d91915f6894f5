"""The properties panel: built from the schema; bad values are refused with a message."""

from __future__ import annotations

from PySide6 import QtWidgets

from editor.panels.param_widgets import FloatSpinBox
from engine.graph import dumps_graph


def test_form_widgets_follow_the_schema(window):
    window.canvas.select(["data"])
    editors = window.properties.editors
    assert isinstance(editors["dataset"].input_widget, QtWidgets.QComboBox)
    assert isinstance(editors["shuffle"].input_widget, QtWidgets.QCheckBox)
    assert isinstance(editors["val_split"].input_widget, FloatSpinBox)
    spin = editors["image_size"].input_widget
    assert isinstance(spin, QtWidgets.QSpinBox)
    assert (spin.minimum(), spin.maximum()) == (4, 512)
    assert editors["dataset"].input_widget.currentText() == "digits_flat"


def test_out_of_range_and_wrong_type_are_refused(window):
    before = dumps_graph(window.document.graph)
    window.canvas.select(["fc1"])
    panel = window.properties
    assert not panel.submit("out_features", 0)
    assert "at least 1" in panel.field_message("out_features")  # under the field that refused it
    assert not panel.submit("out_features", "many")
    assert not panel.submit("out_features", 2.5)
    assert not panel.submit("bias", "yes please")
    assert dumps_graph(window.document.graph) == before
    assert window.document.undo_stack.count() == 0
    assert panel.editors["out_features"].input_widget.value() == 128
    assert panel.submit("out_features", 256)
    assert not panel.field_message("out_features") and not panel.error.isVisible()
    assert window.document.graph.nodes["fc1"].params["out_features"] == 256


def test_text_kinds_are_parsed_and_refused_readably(window):
    window.document.edit("add input", lambda g: g.add_node("data.Input", node_id="inp"))
    window.canvas.select(["inp"])
    panel = window.properties
    edit = panel.editors["shape"].input_widget
    edit.setText("1, 28, 28")
    edit.editingFinished.emit()
    assert window.document.graph.nodes["inp"].params["shape"] == [1, 28, 28]
    edit.setText("1, twenty")
    edit.editingFinished.emit()
    assert "could not read '1, twenty'" in panel.field_message("shape")
    assert window.document.graph.nodes["inp"].params["shape"] == [1, 28, 28]
    assert edit.text() == "1, 28, 28"


def test_combo_and_checkbox_edits_are_undoable(window):
    window.canvas.select(["data"])
    before = dumps_graph(window.document.graph)
    window.properties.editors["dataset"].input_widget.setCurrentText("iris")
    assert window.document.graph.nodes["data"].params["dataset"] == "iris"
    window.properties.editors["shuffle"].input_widget.setChecked(False)
    assert window.document.graph.nodes["data"].params["shuffle"] is False
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert dumps_graph(window.document.graph) == before
    assert window.properties.editors["dataset"].input_widget.currentText() == "digits_flat"


def test_rename_node(window):
    window.canvas.select(["fc1"])
    panel = window.properties
    panel.id_edit.setText("2bad")
    panel.id_edit.editingFinished.emit()
    assert panel.field_message("id") and "fc1" in window.document.graph.nodes
    panel.id_edit.setText("hidden")
    panel.id_edit.editingFinished.emit()
    assert "hidden" in window.document.graph.nodes and "fc1" not in window.document.graph.nodes
    assert window.canvas.selected_ids() == ["hidden"]
    assert any(e.dst == "hidden" for e in window.document.graph.edges)


def test_help_shows_the_selected_node(window):
    window.canvas.select(["adam"])
    assert "Adam" in window.help.toPlainText()
    assert "lr" in window.help.toPlainText()
    window.canvas.select([])
    assert "Select a node" in window.help.toPlainText()


def test_every_line_of_a_long_choice_hint_is_shown(window, qtbot, tmp_path):
    # the csv dataset's hint takes 4 lines beside a sweep button; the form gave it the height of 3
    (tmp_path / "rows.csv").write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    window.document.edit(
        "csv", lambda g: g.nodes["data"].params.update({"dataset": "csv", "path": str(tmp_path / "rows.csv")})
    )
    window.properties.show_node("data")
    qtbot.wait(100)
    hints = [h for h in window.properties.choice_hints.values() if h.isVisible()]
    assert any(h.heightForWidth(h.width()) >= 4 * h.fontMetrics().lineSpacing() for h in hints)
    for hint in hints:
        assert hint.height() >= hint.heightForWidth(hint.width()), hint.text()
