"""Start the editor: application, theme, window; torch is never imported before the window
shows (parameter counts load it later, on a worker thread)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from editor.gui_gc import enable_settling, resettle_soon
from editor.mainwindow import MainWindow
from editor.theme import apply_theme


def create_application(argv: list[str] | None = None) -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or sys.argv[:1])
    app.setApplicationName("Netwright")
    app.setOrganizationName("Netwright")
    apply_theme(app)
    return app


def run(path: Path | None = None) -> int:
    app = create_application()
    window = MainWindow()
    window.fit_to_screen()
    window.show()
    # open after the first paint so the window appears at once, then fit the graph
    QtCore.QTimer.singleShot(0, lambda: window.start(path))
    # start the training process (it imports torch) once the window is up, not when Train is pressed
    QtCore.QTimer.singleShot(1500, window.training.prewarm)
    enable_settling()  # full garbage collections skip what start-up made (editor/gui_gc.py)
    _settle_again_once_torch_is_in(window)
    return app.exec()


def _settle_again_once_torch_is_in(window: MainWindow) -> None:
    """The first parameter count imports torch on a worker thread (~80,000 more objects, often after
    the first settling): settle again after it."""

    def first_counts(_counts: dict) -> None:
        window.live.counts_updated.disconnect(first_counts)
        resettle_soon()

    window.live.counts_updated.connect(first_counts)
