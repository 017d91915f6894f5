"""Start the editor: application, theme, window; torch is never imported before the window
shows (parameter counts load it later, on a worker thread)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtCore, QtWidgets

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
    return app.exec()
