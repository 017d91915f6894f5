"""Files: title and unsaved mark, broken and newer files, unsaved-changes prompts, recent files,
examples, autosave and crash recovery."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtWidgets

from editor.files import START_EXAMPLE, example_files
from engine.fileio import current_umask
from engine.graph import dumps_graph, load_graph

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mlp():
    """The digits MLP example as a graph (fc1 is its first layer)."""
    return load_graph(START_EXAMPLE)


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


def _autosaved_edit(window, out_features: int):
    window.properties.show_node("fc1")
    window.properties.submit("out_features", out_features)
    window.files.autosave()
    return window.files.recovery_path


def _crashed_window_recovery(folder: Path, graph_text: str) -> Path:
    """A real process that autosaves like a window, then dies by SIGKILL (its lock goes with it)."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from editor.recovery import RecoveryFile\n"
        "recovery = RecoveryFile(Path(sys.argv[1]) / 'recovery.json')\n"
        "recovery.write(sys.stdin.read())\n"
        "print(recovery.path, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(folder)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        child.stdin.write(graph_text)
        child.stdin.close()
        path = Path(child.stdout.readline().strip())
        assert path.is_file()
    finally:
        child.kill()  # SIGKILL: no clean-up runs
        child.wait(timeout=10)
        child.stdout.close()
    return path


def test_each_window_autosaves_to_its_own_file_and_a_running_windows_is_never_offered(make_window, dialogs, tmp_path):
    first = make_window()
    first.start()
    mine = _autosaved_edit(first, 77)
    assert mine.parent == tmp_path and mine.name.startswith("recovery-") and mine.is_file()
    assert load_graph(mine).nodes["fc1"].params["out_features"] == 77
    assert stat.S_IMODE(mine.stat().st_mode) == 0o666 & ~current_umask()  # not mkstemp's 0600

    # a second window while the first runs: the first's file is not a crash, so nothing is offered
    dialogs.question_answer = Button.Yes
    second = make_window()
    assert not second.files.offer_recovery()
    assert not dialogs.texts("question")
    second.start()
    theirs = _autosaved_edit(second, 55)
    assert theirs != mine and theirs.is_file()
    assert load_graph(mine).nodes["fc1"].params["out_features"] == 77  # not overwritten

    # a clean exit of either deletes only its own file
    second.shutdown()
    assert not theirs.exists()
    assert load_graph(mine).nodes["fc1"].params["out_features"] == 77
    first.shutdown()
    assert not list(tmp_path.glob("recovery*.json"))


def test_a_crashed_windows_work_is_offered_and_becomes_the_new_windows(make_window, mlp, dialogs, tmp_path):
    mlp.nodes["fc1"].params["out_features"] = 77
    crashed = _crashed_window_recovery(tmp_path, dumps_graph(mlp))

    dialogs.question_answer = Button.Yes
    window = make_window()
    assert window.files.offer_recovery()
    assert window.document.graph.nodes["fc1"].params["out_features"] == 77
    assert window.document.modified
    # adopted: the work lives in this window's recovery file now, the dead window's files are gone
    assert not crashed.exists() and not crashed.with_suffix(".lock").exists()
    assert load_graph(window.files.recovery_path).nodes["fc1"].params["out_features"] == 77
    assert not make_window().files.offer_recovery()  # this window is running: never offered twice
    assert len(dialogs.texts("question")) == 1

    window.shutdown()  # a clean exit
    assert not list(tmp_path.glob("recovery*.json"))


def test_declined_and_unreadable_recoveries_are_deleted(make_window, mlp, dialogs, tmp_path):
    declined = _crashed_window_recovery(tmp_path, dumps_graph(mlp))
    broken = _crashed_window_recovery(tmp_path, "{ not a graph")
    dialogs.question_answer = Button.No
    window = make_window()
    assert not window.files.offer_recovery()
    assert len(dialogs.texts("question")) == 1  # the unreadable one is not offered
    assert not declined.exists() and not broken.exists()
    assert not make_window().files.offer_recovery()


def test_the_single_recovery_file_of_earlier_versions_is_still_offered(make_window, mlp, dialogs, tmp_path):
    mlp.nodes["fc1"].params["out_features"] = 66
    (tmp_path / "recovery.json").write_text(dumps_graph(mlp), encoding="utf-8")
    dialogs.question_answer = Button.Yes
    window = make_window()
    assert window.files.offer_recovery()
    assert window.document.graph.nodes["fc1"].params["out_features"] == 66
    assert not (tmp_path / "recovery.json").exists()


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


def test_an_example_saved_elsewhere_still_reads_its_data(window, dialogs, tmp_path):
    # mnist_cnn reads "data/mnist_standin" beside the example; saved into tmp_path it must not look there
    example = ROOT / "resources" / "examples" / "mnist_cnn.json"
    assert window.files.open_example(example)
    messages = []
    window.files.status.connect(messages.append)
    saved = tmp_path / "mine" / "mnist.json"
    saved.parent.mkdir()
    dialogs.save_path = str(saved)

    assert window.files.save()

    written = load_graph(saved).nodes["data"].params["path"]
    assert not Path(written).is_absolute()
    assert (saved.parent / written).resolve() == (example.parent / "data" / "mnist_standin").resolve()
    assert window.live.run_now().ok, window.live.analysis.problems  # the files are found from the new place
    assert "data paths rewritten" in messages[-1] and "data/mnist_standin" in messages[-1]
    assert not window.document.modified
    dialogs.save_path = str(saved)
    assert window.files.save()  # saved again in the same folder: nothing more to rewrite
    assert load_graph(saved).nodes["data"].params["path"] == written
