"""Train > Show Runs Folder opens the folder that keeps the open graph's runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6 import QtGui

from editor.files import EXAMPLES_DIR


def _opened(monkeypatch) -> list[Path]:
    urls: list[Path] = []
    monkeypatch.setattr(
        QtGui.QDesktopServices, "openUrl", staticmethod(lambda url: urls.append(Path(url.toLocalFile())) or True)
    )
    return urls


def test_the_train_menu_offers_show_runs_folder(window):
    train_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Train")
    assert window.show_runs_action in train_menu.actions()
    assert window.show_runs_action.text() == "Show Runs &Folder"


def test_an_untitled_graph_shows_its_folder_in_the_app_data_folder(window, monkeypatch, tmp_path):
    urls = _opened(monkeypatch)
    window.show_runs_action.trigger()
    # the example opened as an untitled copy: its runs go under the runs folder beside the recovery file
    expected = window.files.runs_root / "Digits_MLP.runs"
    assert window.files.runs_root == tmp_path / "runs"
    assert urls == [expected]
    assert expected.is_dir()
    assert str(expected) in window.statusBar().currentMessage()


def test_a_saved_graph_shows_its_runs_beside_the_file(window, monkeypatch, tmp_path):
    urls = _opened(monkeypatch)
    graph = tmp_path / "work" / "mine.json"
    graph.parent.mkdir()
    shutil.copy(EXAMPLES_DIR / "mlp_digits.json", graph)
    assert window.files.load_path(graph)
    window.show_runs_action.trigger()
    assert urls == [graph.parent]  # no run yet: its folder, and no empty mine.runs created
    assert not (graph.parent / "mine.runs").exists()
    (graph.parent / "mine.runs").mkdir()
    window.show_runs_action.trigger()
    assert urls[-1] == graph.parent / "mine.runs"


def test_a_folder_the_desktop_cannot_open_is_named_in_a_dialog(window, monkeypatch, dialogs):
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    window.show_runs_action.trigger()
    assert dialogs.shown and dialogs.shown[-1][0] == "information"
    assert str(window.files.runs_root) in dialogs.shown[-1][2]
