"""The Runs tab: every column readable without scrolling, visible check boxes, and runs that
follow an untitled graph when it is saved."""

from __future__ import annotations

import json
from datetime import datetime

from PySide6 import QtCore

from editor.files import take_runs_along
from editor.training.runs_panel import RunsPanel, describe_start
from engine.runs import RunStore


def fake_run(store: RunStore, when: datetime, status: str = "early_stopped", weights: bool = True) -> str:
    folder = store.new_run(now=when)
    record = {"status": status, "settings": {"epochs": 60}, "device": "cpu", "seconds": 754.2}
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    rows = [{"epoch": e, "val_acc": 0.9 + e / 1000, "val_loss": 0.3, "train_loss": 0.2} for e in range(1, 41)]
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    if weights:
        (folder / "weights.safetensors").write_bytes(b"weights")
    return folder.name


def test_every_column_shows_without_scrolling_at_the_default_width(qtbot, tmp_path):
    store = RunStore(tmp_path / "g.runs")
    for day in (1, 2, 3):
        fake_run(store, datetime(2025, 1, day, 14, 3, 22))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 260)  # the training panel's width in a 1600x1000 window
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_store(store)
    qtbot.wait(20)
    tree = panel.tree
    assert tree.horizontalScrollBar().maximum() == 0
    viewport = tree.viewport().width()
    for column in range(tree.columnCount()):
        assert tree.header().sectionViewportPosition(column) + tree.header().sectionSize(column) <= viewport + 1
        assert tree.header().sectionSize(column) >= tree.sizeHintForColumn(column) - 1, column
    # at the smallest width the splitter allows, the columns still fit
    panel.resize(panel.minimumSizeHint().width(), 260)
    qtbot.wait(20)
    assert tree.horizontalScrollBar().maximum() == 0


def test_start_times_are_short_and_check_boxes_are_styled(qtbot):
    today = datetime(2025, 3, 4).date()
    assert describe_start(datetime(2025, 3, 4, 9, 5, 1), today) == "09:05:01"
    assert describe_start(datetime(2025, 1, 2, 9, 5, 1), today) == "01-02 09:05"
    assert describe_start(datetime(2023, 1, 2, 9, 5, 1), today) == "2023-01-02"
    panel = RunsPanel()
    qtbot.addWidget(panel)
    # the theme draws a bordered box (filled with a check mark when ticked), not the platform's faint one
    assert "QTreeView::indicator" in panel.tree.styleSheet() and "border" in panel.tree.styleSheet()


def test_take_runs_along_copies_finished_runs_once(tmp_path):
    source, target = RunStore(tmp_path / "untitled.runs"), RunStore(tmp_path / "mine.runs")
    done = fake_run(source, datetime(2025, 1, 1, 10))
    fake_run(source, datetime(2025, 1, 1, 11), status="running", weights=False)
    assert take_runs_along(source, target) == 1
    assert [r.id for r in target.runs()] == [done] and target.latest_weights().id == done
    assert take_runs_along(source, target) == 0  # already there


def test_save_as_of_an_untitled_graph_takes_its_runs_and_continue_works_after_reopening(make_window, dialogs, tmp_path):
    window = make_window()
    window.files.new_file()
    name = window.document.graph.name
    untitled = RunStore.named(window.files.runs_root, name)
    run_id = fake_run(untitled, datetime(2025, 1, 1, 10))
    dialogs.save_path = str(tmp_path / "mine.json")
    assert window.files.save_as()
    beside = RunStore.beside(tmp_path / "mine.json")
    assert [r.id for r in beside.runs()] == [run_id]

    window.files.new_file()
    assert window.files.load_path(tmp_path / "mine.json")
    assert window.training.store().folder == beside.folder
    assert window.document.trained_weights is not None
    assert QtCore.QFileInfo(str(window.document.trained_weights)).absolutePath().startswith(str(beside.folder))
