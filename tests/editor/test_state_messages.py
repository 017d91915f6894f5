"""Messages as a user reads them: code spans rendered (never a raw backtick or an HTML entity),
problem rows sized to their text, and tooltips on ports and nodes that say something useful."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from PySide6 import QtGui

from editor.files import EXAMPLES_DIR
from editor.richtext import inline, plain, rich

ROOT = Path(__file__).resolve().parents[2]
ENTITY = re.compile(r"&#x?[0-9a-fA-F]+;")


def shown_text(markup: str) -> str:
    """What Qt draws for a piece of rich text."""
    document = QtGui.QTextDocument()
    document.setHtml(markup)
    return document.toPlainText()


def test_code_spans_render_and_nothing_is_escaped_twice():
    message = "Linear `fc1` gets [B, 1, 8, 8] but needs [B, features]: insert Flatten (it's `x` < 3 & y)"
    markup = rich(message)
    assert "`" not in markup and not ENTITY.search(markup)
    assert shown_text(markup) == message.replace("`", "")
    assert "<span style=" in markup and ">fc1</span>" in markup
    assert plain(message) == message.replace("`", "")
    assert inline("a `b` c\nd") == "a <span style='color:#c8d3ff; font-family:monospace'>b</span> c<br>d"
    assert plain("an odd ` backtick") == "an odd  backtick"


def _graph_with_a_problem(window) -> None:
    window.document.edit("images", lambda g: g.nodes["data"].params.__setitem__("dataset", "digits_images"))
    window.live.run_now()


def test_problems_panel_shows_code_not_backticks_and_sizes_rows_to_their_text(window, qtbot):
    _graph_with_a_problem(window)
    panel = window.problems
    window.problems_dock.raise_()
    assert panel.list.count() >= 1
    qtbot.waitUntil(lambda: panel.row(0).isVisible())
    for index in range(panel.list.count()):
        row = panel.row(index)
        item = panel.list.item(index)
        for text in (row.label.text(), item.toolTip(), row.fix_button.toolTip() if row.fix_button else ""):
            assert "`" not in text and not ENTITY.search(text), text
        # the icon sits on the first line of text, the row is as tall as its wrapped text
        assert abs(row.icon.geometry().top() - row.label.geometry().top()) <= 2
        assert row.icon.height() <= row.label.fontMetrics().height() + 4
        width = panel.list.viewport().width()
        assert item.sizeHint().height() == row.height_for(width)
        assert row.geometry().height() == item.sizeHint().height()  # no item padding eats into the row
        assert row.label.height() >= row.label.heightForWidth(row.label.width())  # every line shows

    narrow_before = panel.list.item(0).sizeHint().height()
    window.problems_dock.setFloating(True)
    window.problems_dock.resize(320, 300)
    qtbot.waitUntil(lambda: panel.list.viewport().width() < 320)
    assert panel.list.item(0).sizeHint().height() > narrow_before  # narrower: more lines, taller row
    window.problems_dock.setFloating(False)


def test_canvas_tooltips_say_name_expectation_shape_and_parameters(window):
    window.live.run_now()
    window.live.wait()
    node = window.canvas.canvas_node("fc1")
    port_tip = shown_text(window.canvas.hover_text(node.inputs()["in"].view))
    assert port_tip.startswith("in input")
    assert "Expects a tensor" in port_tip and "Gets B x 64 from data.x" in port_tip
    out_tip = shown_text(window.canvas.hover_text(node.outputs()["out"].view))
    assert out_tip.startswith("out output") and "Shape now: B x 128" in out_tip and "to relu1.in" in out_tip
    loss_tip = shown_text(window.canvas.hover_text(window.canvas.canvas_node("loss").inputs()["target"].view))
    assert "Expects what it should have output" in loss_tip and "from data.y" in loss_tip
    conv_tip = shown_text(window.canvas.hover_text(window.canvas.canvas_node("fc1").view))
    assert "Output: B x 128" in conv_tip and "8,320 parameters" in conv_tip

    _graph_with_a_problem(window)
    tip = window.canvas.hover_text(window.canvas.canvas_node("fc1").view)
    assert "`" not in tip and "fc1" in shown_text(tip) and "Flatten" in shown_text(tip)
    window.document.edit("unplug", lambda g: g.disconnect(next(e for e in g.edges if e.dst == "fc1")))
    window.live.run_now()
    assert "Not connected (required)" in shown_text(
        window.canvas.hover_text(window.canvas.canvas_node("fc1").inputs()["in"].view)
    )


def test_a_refused_rename_reads_without_backticks(window):
    window.canvas.select(["fc1"])
    panel = window.properties
    panel.id_edit.setText("fc2")
    panel.id_edit.editingFinished.emit()
    message = panel.field_message("id")
    assert message and "`" not in message and not ENTITY.search(message)


def test_every_example_reads_cleanly_in_the_problems_panel(make_window):
    window = make_window()
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        assert window.files.load_path(path, remember=False)
        window.live.run_now()
        for index in range(window.problems.list.count()):
            assert "`" not in window.problems.row(index).label.text()


def test_the_training_plan_needs_no_torch():
    """The editor asks make_plan whether a graph can train on every edit: it must not load torch."""
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.engine.conftest import make_mlp; from engine.training.plan import make_plan;"
        "plan = make_plan(make_mlp()); assert plan.optimizers;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
