"""Files: title and unsaved mark, broken and newer files, unsaved-changes prompts, recent files,
examples, autosave and crash recovery."""

from __future__ import annotations

import json

from PySide6 import QtWidgets

from editor.files import example_files
from engine.graph import dumps_graph, load_graph

Button = QtWidgets.QMessageBox.StandardButton


def test_example_loads_on_start(make_window):
    window = make_window()
    window.start()
    assert window.document.graph.name == "Digits MLP"
    assert window.document.path is None  # an example opens as an untitled copy
    assert not window.document.modified
    assert len(window.canvas.node_graph.all_nodes()) == len(window.document.graph.nodes)
    assert window.examples_menu.actions()


def test_every_example_opens_cleanly(window):
    for path in example_files():
        assert window.files.open_example(path)
        assert window.live.run_now().ok, (path, window.live.analysis.problems)


def test_title_shows_name_and_unsaved_mark(window, dialogs, tmp_path):
    path = tmp_path / "net.json"
    dialogs.save_path = str(path)
    assert window.files.save()
    assert window.windowTitle() == "net.json[*] — Netwright" and not window.isWindowModified()
    window.properties.show_node("fc1")
    window.properties.submit("out_features", 99)
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_broken_and_newer_files_leave_the_graph_untouched(window, dialogs, tmp_path):
    before = dumps_graph(window.document.graph)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": 2, "nodes": [', encoding="utf-8")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format_version": 99, "nodes": [], "edges": []}), encoding="utf-8")
    for path, words in ((broken, "not valid JSON"), (newer, "newer Netwright")):
        assert not window.files.open_file(path)
        assert words in dialogs.texts("warning")[-1]
        assert "\n" not in dialogs.texts("warning")[-1]
        assert dumps_graph(window.document.graph) == before
        assert len(window.canvas.node_graph.all_nodes()) == len(window.document.graph.nodes)


def test_unsaved_changes_are_asked_about(window, dialogs, tmp_path):
    window.properties.show_node("fc1")
    window.properties.submit("out_features", 99)
    changed = dumps_graph(window.document.graph)
    dialogs.question_answer = Button.Cancel
    assert not window.files.new_file()
    assert dumps_graph(window.document.graph) == changed
    window.close()
    assert window.isVisible()  # closing was cancelled too
    dialogs.question_answer = Button.Save
    dialogs.save_path = str(tmp_path / "kept.json")
    assert window.files.new_file()
    assert load_graph(tmp_path / "kept.json").nodes["fc1"].params["out_features"] == 99
    assert not window.document.graph.nodes


def test_recent_files(window, dialogs, tmp_path):
    for name in ("a.json", "b.json"):
        dialogs.save_path = str(tmp_path / name)
        window.files.save_as()
    names = [p.name for p in window.files.recent_files()]
    assert names[:2] == ["b.json", "a.json"]
    assert [a.text() for a in window.recent_menu.actions()][:2] == ["b.json", "a.json"]
    window.recent_menu.actions()[1].trigger()
    assert window.document.path.name == "a.json"


def test_autosave_and_recovery(make_window, dialogs, tmp_path):
    window = make_window()
    window.start()
    window.properties.show_node("fc1")
    window.properties.submit("out_features", 77)
    window.files.autosave()
    recovery = tmp_path / "recovery.json"
    assert recovery.is_file()
    assert load_graph(recovery).nodes["fc1"].params["out_features"] == 77

    # a second window after a "crash" (the first never shut down) offers to restore
    dialogs.question_answer = Button.Yes
    second = make_window()
    assert second.files.offer_recovery()
    assert second.document.graph.nodes["fc1"].params["out_features"] == 77
    assert second.document.modified
    # a clean exit forgets the recovery file
    second.shutdown()
    assert not recovery.exists()


def test_save_is_atomic_and_keeps_positions(window, dialogs, tmp_path):
    path = tmp_path / "pos.json"
    dialogs.save_path = str(path)
    window.document.edit("move", lambda g: g.nodes["fc1"].ui.update(x=123.5, y=-45.0))
    assert window.files.save()
    assert load_graph(path).nodes["fc1"].ui == {"x": 123.5, "y": -45.0}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_graph_without_positions_is_laid_out(window, tmp_path):
    from engine.graph import Graph, save_graph

    graph = Graph()
    graph.add_node("data.Dataset", node_id="data")
    graph.add_node("layers.Linear", node_id="fc")
    graph.connect("data", "x", "fc", "in")
    path = tmp_path / "bare.json"
    save_graph(graph, path)
    assert window.files.open_file(path)
    nodes = window.document.graph.nodes
    assert nodes["data"].ui["x"] < nodes["fc"].ui["x"]
    assert not window.document.modified
