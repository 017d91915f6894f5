"""How long quitting takes right after a training run and right after an ONNX export.

    QT_QPA_PLATFORM=offscreen python bench/bench_quit.py trained|export [--wait-for-child]

Opens the digits MLP in a main window, trains it for 2 epochs (or exports it as ONNX), then
times `window.close()` and the teardown after it. `--wait-for-child` restores the behaviour
before the fix (an idle training child is given 5 s to exit by itself instead of 0.2 s): the
ratio of the two close times is the figure to watch. Budget: close under one second.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6 import QtCore, QtWidgets  # noqa: E402

BUDGET_S = 1.0


def _settle(app: QtWidgets.QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)


def main() -> int:
    from editor.app import create_application
    from editor.export_import import ExportDialog
    from editor.files import EXAMPLES_DIR
    from editor.mainwindow import MainWindow

    mode = sys.argv[1] if len(sys.argv) > 1 else "trained"
    if "--wait-for-child" in sys.argv:
        import editor.training.session as session_module

        session_module.IDLE_EXIT_S = 5.0
    app = create_application()
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-quit-"))
    QtWidgets.QMessageBox.information = staticmethod(lambda *a, **k: None)
    settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_path=folder / "recovery.json")
    window.show()
    _settle(app, 0.3)
    window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    if mode == "export":
        dialog = ExportDialog(window, window.document.graph, None, folder, fmt="onnx")
        dialog.exec = lambda: QtWidgets.QDialog.DialogCode.Accepted
        window.export_import.export_model(dialog=dialog)
        while window.export_import.job is None or window.export_import.job.running:
            _settle(app, 0.05)
    else:
        window.document.edit("Two epochs", lambda g: g.training.__setitem__("epochs", 2))
        window.training.start()
        end = time.monotonic() + 240
        while (not window.training.history or window.training.session.state != "idle") and time.monotonic() < end:
            _settle(app, 0.1)
    _settle(app, 0.5)
    window.document.undo_stack.setClean()
    started = time.monotonic()
    window.close()
    closed = time.monotonic() - started
    started = time.monotonic()
    window.deleteLater()
    app.processEvents()
    del window
    gc.collect()
    teardown = time.monotonic() - started
    verdict = "within" if closed + teardown < BUDGET_S else "OVER"
    print(f"{mode}: close {closed:.3f} s, teardown {teardown:.3f} s ({verdict} the {BUDGET_S:.0f} s budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
