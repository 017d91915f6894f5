"""The live code view: the graph's Python, updated on edits, highlighted, lines <-> nodes, Copy."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from editor.files import EXAMPLES_DIR


@pytest.fixture
def coded(make_window, qtbot):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "cnn_digits.json", remember=False)
    window.code_dock.show()
    window.code_dock.raise_()
    view = window.code_view
    qtbot.waitUntil(lambda: "class " in view.editor.toPlainText(), timeout=30000)
    return window


def _line_of(view, text: str) -> int:
    return next(i for i, row in enumerate(view.editor.toPlainText().split("\n")) if text in row)


def test_the_code_is_the_python_export_and_follows_an_edit(coded, qtbot):
    view = coded.code_view
    assert "self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)" in view.editor.toPlainText()
    coded.canvas.select(["conv1"])
    coded.properties.submit("out_channels", 24)
    qtbot.waitUntil(lambda: "nn.Conv2d(1, 24, kernel_size=3" in view.editor.toPlainText(), timeout=30000)
    assert "nn.BatchNorm2d(24)" in view.editor.toPlainText()
    coded.document.undo_stack.undo()
    qtbot.waitUntil(lambda: "nn.Conv2d(1, 16, kernel_size=3" in view.editor.toPlainText(), timeout=30000)


def test_clicking_a_line_selects_its_node(coded, qtbot):
    view = coded.code_view
    line = _line_of(view, "self.bn1 = nn.BatchNorm2d")
    block = view.editor.document().findBlockByNumber(line)
    view.editor.setTextCursor(QtGui.QTextCursor(block))
    view.editor.centerCursor()
    rect = view.editor.blockBoundingGeometry(block).translated(view.editor.contentOffset())
    spot = QtCore.QPoint(30, int(rect.center().y()))
    qtbot.mouseClick(view.editor.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=spot)
    assert coded.canvas.selected_ids() == ["bn1"]


def test_selecting_a_node_highlights_and_shows_its_lines(coded):
    view = coded.code_view
    coded.canvas.select(["fc1"])
    rows = view.editor.toPlainText().split("\n")
    highlighted = view.highlighted_lines()
    assert [rows[i].strip().split(" = ")[0] for i in highlighted] == ["self.fc1", "fc1"]
    assert view.editor.textCursor().blockNumber() == highlighted[0]
    coded.canvas.select([])
    assert view.highlighted_lines() == []


def test_a_graph_that_cannot_be_exported_says_why_and_keeps_the_last_code(coded, qtbot):
    view = coded.code_view
    coded.document.edit("bad", lambda g: g.nodes["conv1"].params.update(out_channels=0))
    qtbot.waitUntil(lambda: "Not up to date" in view.status.text(), timeout=30000)
    assert "conv1" in view.status.text() and "class " in view.editor.toPlainText()
    assert not view.editor.isEnabled()


def test_copy_puts_the_source_on_the_clipboard(coded):
    coded.code_view.copy_button.click()
    assert QtWidgets.QApplication.clipboard().text() == coded.code_view.editor.toPlainText()


def test_keywords_and_strings_are_coloured(coded):
    view = coded.code_view
    line = _line_of(view, "class ")
    block = view.editor.document().findBlockByNumber(line)
    colours = {r.format.foreground().color().getRgb()[:3] for r in block.layout().formats()}
    assert (198, 146, 233) in colours  # `class`


def test_view_menu_toggles_the_code_panel(coded):
    action = coded.code_dock.toggleViewAction()
    view_menu = next(m.menu() for m in coded.menuBar().actions() if m.text() == "&View")
    assert action in view_menu.actions()
    action.trigger()
    assert not coded.code_dock.isVisible()
