"""File menu behaviour: the export dialog's proposals and memory, its progress, autosave soon
after an edit, the recovery question, and a quit that leaves no training process behind."""

from __future__ import annotations

import os
import time

from PySide6 import QtCore, QtWidgets

from editor import files as files_module
from editor.export_import import BackgroundJob, ExportDialog
from editor.files import recovery_question
from engine.graph import Graph

Accepted = QtWidgets.QDialog.DialogCode.Accepted


def test_export_dialog_proposes_the_graph_files_name_and_the_last_format(window, tmp_path):
    dialog = ExportDialog(window, window.document.graph, None, tmp_path, stem="my_net", fmt="onnx")
    assert dialog.format.currentData() == "onnx"
    assert dialog.path.text() == str(tmp_path / "my_net.onnx")
    dialog.deleteLater()


def test_export_remembers_format_and_folder(window, qtbot, tmp_path, monkeypatch):
    saved = tmp_path / "graphs" / "wide_mlp.json"
    saved.parent.mkdir()
    window.files._write(saved)
    out = tmp_path / "exports"
    out.mkdir()
    seen: list[ExportDialog] = []

    def fake_exec(self):
        seen.append(self)
        if len(seen) == 1:  # the user picks a format and a folder the first time
            self.format.setCurrentIndex(self.format.findData("safetensors"))
            self.path.setText(str(out / "wide_mlp.safetensors"))
        return QtWidgets.QDialog.DialogCode.Rejected if len(seen) > 1 else Accepted

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    controller = window.export_import
    controller.export_model()
    qtbot.waitUntil(lambda: controller.job is not None and not controller.job.running, timeout=60_000)
    qtbot.wait(120)
    controller.export_model()  # the next time: the same format and folder, the graph file's name
    second = seen[1]
    assert second.format.currentData() == "safetensors"
    assert second.path.text() == str(out / "wide_mlp.safetensors")


def test_a_long_job_shows_its_progress_and_closes_it(window, qtbot):
    results = []
    job = BackgroundJob(
        window, "Export", "Exporting model.onnx…", lambda: time.sleep(0.9) or 42, lambda r, e: results.append(r)
    )
    job.start()
    qtbot.waitUntil(lambda: job.dialog.isVisible(), timeout=5_000)
    qtbot.waitUntil(lambda: job.dialog.labelText().endswith(" s"), timeout=5_000)
    assert "Exporting model.onnx" in job.dialog.labelText()
    qtbot.waitUntil(lambda: results == [42], timeout=10_000)
    assert not job.dialog.isVisible()


def test_autosave_follows_an_edit_within_seconds(make_window, qtbot, monkeypatch):
    monkeypatch.setattr(files_module, "AUTOSAVE_DELAY_MS", 200)  # the same logic, shorter waits
    monkeypatch.setattr(files_module, "AUTOSAVE_MAX_MS", 600)
    window = make_window()
    window.files.new_file()
    window.files.start_autosave()
    recovery = window.files.recovery_path
    window.canvas.add_node("layers.Linear")
    assert window.files.autosave_timer.isActive()
    qtbot.waitUntil(recovery.is_file, timeout=3_000)
    recovery.unlink()
    # edits that never pause still get saved by the maximum delay
    deadline = time.monotonic() + 3.0
    while not recovery.is_file() and time.monotonic() < deadline:
        window.canvas.add_node("activations.ReLU")
        qtbot.wait(100)
    assert recovery.is_file()


def test_autosave_is_scheduled_after_the_last_edit_not_on_a_clock(make_window):
    window = make_window()
    window.files.new_file()
    window.files.start_autosave()
    timer = window.files.autosave_timer
    assert not timer.isActive()  # nothing to save, nothing scheduled
    window.canvas.add_node("layers.Linear")
    assert timer.isActive() and timer.isSingleShot()
    assert timer.interval() <= files_module.AUTOSAVE_DELAY_MS <= files_module.AUTOSAVE_MAX_MS <= 10_000


def test_recovery_question_names_the_graph_the_file_and_the_time(tmp_path):
    recovery = tmp_path / "recovery.json"
    recovery.write_text("{}")
    graph = Graph(name="Digits MLP")
    graph.add_node("layers.Linear")
    text = recovery_question(recovery, graph, "/home/me/digits.json")
    when = QtCore.QLocale().toString(
        QtCore.QDateTime.fromSecsSinceEpoch(int(recovery.stat().st_mtime)), QtCore.QLocale.FormatType.ShortFormat
    )
    assert "“Digits MLP”" in text and "/home/me/digits.json" in text and when in text and "1 node" in text
    assert "never saved" in recovery_question(recovery, Graph(), "")


def test_closing_the_window_ends_the_training_process(make_window, qtbot):
    window = make_window()
    session = window.training.session
    session.prewarm()
    pid = session.process.pid
    assert session.process.is_alive()
    window.document.undo_stack.setClean()
    window.close()
    assert session.process is None
    assert not _running(pid)  # the child is gone, not left to linger


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, not yet reaped) is not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False
