"""Editor tests run offscreen; no test may open a modal dialog, or leave a window, timer or
thread behind."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from editor.theme import apply_theme  # noqa: E402


class Dialogs:
    """Stands in for every modal dialog: records what was shown, answers as told."""

    def __init__(self):
        self.shown: list[tuple[str, str, str]] = []
        self.question_answer = QtWidgets.QMessageBox.StandardButton.Discard
        self.open_path = ""
        self.save_path = ""

    def _record(self, kind):
        def show(_parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            if kind == "question":
                return self.question_answer
            return QtWidgets.QMessageBox.StandardButton.Ok

        return show

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, _title, text in self.shown if kind in (None, k)]


@pytest.fixture(scope="session", autouse=True)
def themed_app(qapp):
    apply_theme(qapp)
    return qapp


@pytest.fixture(scope="package", autouse=True)
def gui_thread_garbage_collection(qapp):
    """Main windows move garbage collection to the GUI thread; give it back to Python after."""
    yield
    from editor.gui_gc import restore_automatic_garbage_collection

    restore_automatic_garbage_collection()


@pytest.fixture(autouse=True)
def dialogs(monkeypatch) -> Dialogs:
    recorder = Dialogs()
    box = QtWidgets.QMessageBox
    for kind in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(box, kind, staticmethod(recorder._record(kind)))
    monkeypatch.setattr(box, "about", staticmethod(lambda *a, **k: recorder.shown.append(("about", "", ""))))
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (recorder.open_path, ""))
    )
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (recorder.save_path, ""))
    )
    return recorder


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fail a test that leaves a top-level window shown or a thread running."""
    threads_before = set(threading.enumerate())
    yield
    qapp.processEvents()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    # torch.fx's Interpreter opens a (disabled) tqdm bar, which starts tqdm's one idle monitor
    # daemon for the process: a library's, not ours.
    leftover = [
        t for t in threading.enumerate() if t not in threads_before and t.is_alive() and t.name != "tqdm_monitor"
    ]
    assert not leftover, f"threads left running: {leftover}"
    shown = [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert not shown, f"windows left open: {shown}"


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Build main windows with settings and recovery files in tmp_path; closes them after."""
    from editor.mainwindow import MainWindow

    windows = []

    def make(**kwargs):
        settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, recovery_path=tmp_path / "recovery.json", analysis_delay_ms=0, **kwargs)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()
        window.document.undo_stack.setClean()
        window.close()
        window.canvas.close()
        window.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


@pytest.fixture
def window(make_window):
    """A main window showing the digits MLP example, unmodified."""
    from editor.files import EXAMPLES_DIR

    win = make_window()
    assert win.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    return win


def pytest_configure(config):
    # NodeGraphQt still calls QMouseEvent.pos(); that is its business, not a failure of ours
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:NodeGraphQt")
