"""The live code view: the Python of the current graph (the `python` export's text), kept up to date.

Every edit restarts a short timer; when it fires (and the panel is shown) the source is written
on a worker thread (`engine.export.source_map.live_source`: compiling on torch's meta device,
no weights) and shown when it arrives, unless a newer edit came in meanwhile. Clicking a line
selects the nodes that wrote it; selecting nodes on the canvas highlights their lines and
scrolls to the first. A graph that cannot be exported keeps the last code, dimmed, with the reason above it.
"""

from __future__ import annotations

import keyword
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from engine.export.source_map_types import SourceMap  # torch-free: this module loads with the window

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

DELAY_MS = 400  # after the last edit: typing in a field rewrites the code once, not per keystroke
CODE_COLOURS = {
    "keyword": (198, 146, 233),
    "builtin": (130, 170, 255),
    "string": (195, 232, 141),
    "number": (247, 140, 108),
    "comment": (110, 118, 140),
    "self": (240, 113, 120),
    "definition": (255, 203, 107),
}
HIGHLIGHT = (70, 90, 140)  # the background of the selected nodes' lines


def _format(rgb: tuple[int, int, int], bold: bool = False, italic: bool = False) -> QtGui.QTextCharFormat:
    text_format = QtGui.QTextCharFormat()
    text_format.setForeground(QtGui.QColor(*rgb))
    if bold:
        text_format.setFontWeight(QtGui.QFont.Weight.Bold)
    text_format.setFontItalic(italic)
    return text_format


class PythonHighlighter(QtGui.QSyntaxHighlighter):
    """Keywords, builtins, `self`, numbers, strings (docstrings across lines), comments, names after def/class."""

    RULES = [
        (r"\b(?:" + "|".join(keyword.kwlist) + r")\b", "keyword"),
        (r"\b(?:nn|torch|F|int|float|str|dict|list|tuple|len|range|print|super|zip|enumerate|Path|json)\b", "builtin"),
        (r"\bself\b", "self"),
        (r"\b[0-9][0-9_]*(?:\.[0-9]+)?(?:e-?[0-9]+)?\b", "number"),
        (r"(?<=\bdef )\w+|(?<=\bclass )\w+", "definition"),
        (r"[rbf]?\"[^\"\n]*\"|[rbf]?'[^'\n]*'", "string"),
        (r"#[^\n]*", "comment"),
    ]

    def __init__(self, document: QtGui.QTextDocument):
        super().__init__(document)
        self.formats = {name: _format(rgb, italic=name == "comment") for name, rgb in CODE_COLOURS.items()}
        self.rules = [(QtCore.QRegularExpression(pattern), name) for pattern, name in self.RULES]
        self.triple = QtCore.QRegularExpression('"""')

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for expression, name in self.rules:  # later rules win: a `#` inside a string is rare in generated code
            matches = expression.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), self.formats[name])
        self._docstrings(text)

    def _docstrings(self, text: str) -> None:
        """Triple-quoted strings, which may span lines (block state 1: inside one)."""
        start, inside = 0, self.previousBlockState() == 1
        self.setCurrentBlockState(0)
        while True:
            if not inside:
                found = self.triple.match(text, start)
                if not found.hasMatch():
                    return
                begin, start = found.capturedStart(), found.capturedEnd()
            else:
                begin = 0
            end = self.triple.match(text, start)
            if not end.hasMatch():
                self.setFormat(begin, len(text) - begin, self.formats["string"])
                self.setCurrentBlockState(1)
                return
            self.setFormat(begin, end.capturedEnd() - begin, self.formats["string"])
            start, inside = end.capturedEnd(), False


class CodeView(QtWidgets.QWidget):
    """The panel: a status line with Copy, and the read-only, highlighted source."""

    _written = QtCore.Signal(int, object)  # generation, SourceMap or the reason it could not be written

    def __init__(self, window: MainWindow, delay_ms: int = DELAY_MS):
        super().__init__(window)
        self.window_ = window
        self.canvas = window.canvas
        self.source = SourceMap("")
        self._generation = 0
        self._shown_generation = -1  # the generation the text is from
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._selecting = False  # a selection this panel made: do not scroll back to it
        self.status = QtWidgets.QLabel("")
        self.status.setObjectName("codeStatus")
        self.status.setWordWrap(True)
        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole Python source to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setObjectName("codeText")
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.editor.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse | QtCore.Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.highlighter = PythonHighlighter(self.editor.document())
        self.editor.viewport().installEventFilter(self)
        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.status, 1)
        top.addWidget(self.copy_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.write_now)
        self._written.connect(self._on_written)
        window.document.changed.connect(self.schedule)
        self.canvas.selection_changed.connect(self.show_nodes)

    # -- writing ------------------------------------------------------------------------------
    def schedule(self) -> None:
        self._generation += 1
        self._timer.start()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._shown_generation != self._generation:  # edits came while hidden: write now
            self._timer.start(0)

    def write_now(self) -> None:
        """Write the source of the graph as it is now on the worker thread (only while the panel is shown)."""
        self._timer.stop()
        if not self.isVisible():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwright-code")
        self._future = self._executor.submit(self._work, self._generation, self.window_.document.graph)

    def _work(self, generation: int, graph) -> None:
        from engine.export.source_map import live_source  # noqa: PLC0415 - loads torch: off the GUI thread

        try:
            result: object = live_source(graph)
        except Exception as exc:  # noqa: BLE001 - an ExportError, or a builder that refuses a value: shown as one line
            text = str(exc).strip().splitlines()
            result = text[0] if text else type(exc).__name__
        self._written.emit(generation, result)

    def _on_written(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # a newer edit's source is on its way
        self._shown_generation = generation
        if isinstance(result, str):
            self.status.setText(f"<span style='color: rgb{theme.WARNING}'>Not up to date:</span> {result}")
            self.editor.setEnabled(False)
            return
        self.editor.setEnabled(True)
        self.status.setText("Plain PyTorch, as the Python export writes it")
        self.status.setToolTip("Click a line to select its node; select nodes to see their lines")
        if result.text != self.source.text:
            bar = self.editor.verticalScrollBar()
            scrolled = bar.value()
            self.editor.setPlainText(result.text)
            bar.setValue(scrolled)
        self.source = result
        self.show_nodes(self.canvas.selected_ids(), scroll=False)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until the source under way is shown (tests, screenshots)."""
        if self._timer.isActive():
            self.write_now()
        if self._future is not None:
            self._future.result(timeout)
        QtCore.QCoreApplication.sendPostedEvents()
        QtCore.QCoreApplication.processEvents()

    def shutdown(self, wait: bool = True) -> None:
        self._timer.stop()
        self._generation += 1
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None

    def copy(self) -> None:
        QtWidgets.QApplication.clipboard().setText(self.source.text)
        self.window_.statusBar().showMessage("Copied the Python source", 3000)

    # -- lines <-> nodes ------------------------------------------------------------------------
    def show_nodes(self, node_ids: list[str], scroll: bool = True) -> None:
        """Highlight the lines of `node_ids`; scroll to the first of them unless the click came from here."""
        selections = []
        lines = sorted({line for n in node_ids for line in self.source.lines.get(n, ())})
        document = self.editor.document()
        for line in lines:
            block = document.findBlockByNumber(line)
            selection = QtWidgets.QTextEdit.ExtraSelection()
            selection.format.setBackground(QtGui.QColor(*HIGHLIGHT))
            selection.format.setProperty(QtGui.QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QtGui.QTextCursor(block)
            selections.append(selection)
        self.editor.setExtraSelections(selections)
        if lines and scroll and not self._selecting:
            cursor = QtGui.QTextCursor(document.findBlockByNumber(lines[0]))
            self.editor.setTextCursor(cursor)
            self.editor.centerCursor()

    def highlighted_lines(self) -> list[int]:
        return [s.cursor.blockNumber() for s in self.editor.extraSelections()]

    def click_line(self, line: int) -> list[str]:
        """Select the nodes that wrote `line` (0-based) on the canvas; returns them."""
        nodes = self.source.nodes_at(line)
        if nodes:
            self._selecting = True
            try:
                self.canvas.select(nodes, centre=True)
            finally:
                self._selecting = False
        return nodes

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.editor.viewport()
            and event.type() == QtCore.QEvent.Type.MouseButtonRelease
            and event.button() == QtCore.Qt.MouseButton.LeftButton
            and not self.editor.textCursor().hasSelection()
        ):
            self.click_line(self.editor.cursorForPosition(event.position().toPoint()).blockNumber())
        return super().eventFilter(watched, event)


def install_code_view(window: MainWindow) -> QtWidgets.QDockWidget:
    """The Code dock, tabbed with Help on the right; View > Code toggles it."""
    view = CodeView(window)
    dock = window._dock("Code", view, "code")
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.help_dock, dock)
    window.help_dock.raise_()
    window.code_view = view
    window.code_dock = dock
    return dock
