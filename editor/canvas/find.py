"""Find a node (Ctrl+F): a bar over the canvas's top edge that matches node ids, titles and types.

Each match is selected and shown at a readable scale; Enter or F3 goes to the next match,
Shift+Enter or Shift+F3 to the previous one, Escape closes the bar and gives the canvas the
keys back. The matching itself (`find_nodes`) is plain data so it is tested without a window.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from engine.graph import Graph
from engine.registry import Registry

READABLE_SCALE = 1.0  # node titles are drawn for 100 %; a found node is never shown smaller
BAR_MARGIN = 10
FIT_MARGIN = 2  # pixels QGraphicsView.fitInView leaves free on each side


def find_nodes(graph: Graph, registry: Registry, text: str) -> list[str]:
    """Ids of the nodes whose id, type title or type id contains `text` (any case).

    An id equal to the text comes first, then ids that start with it, then the other matches;
    each group keeps the graph's order (the file's), so repeated searches cycle predictably.
    """
    needle = text.strip().casefold()
    if not needle:
        return []
    exact, prefix, other = [], [], []
    for node in graph.nodes.values():
        node_id = node.id.casefold()
        title = registry.get(node.type_id).title.casefold() if node.type_id in registry else ""
        if node_id == needle:
            exact.append(node.id)
        elif node_id.startswith(needle):
            prefix.append(node.id)
        elif needle in node_id or needle in title or needle in node.type_id.casefold():
            other.append(node.id)
    return exact + prefix + other


class FindBar(QtWidgets.QFrame):
    """The search field over the canvas; `canvas` is the `editor.canvas.canvas.Canvas` it searches."""

    def __init__(self, canvas, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.canvas = canvas
        self.matches: list[str] = []
        self.current = -1
        self.setObjectName("findBar")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.field = QtWidgets.QLineEdit()
        self.field.setPlaceholderText("Find a node by id, title or type")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(260)
        self.field.textChanged.connect(self._on_text)
        self.field.installEventFilter(self)
        self.status = QtWidgets.QLabel()
        self.status.setMinimumWidth(150)
        previous = self._button("\u25b2", "Previous match (Shift+Enter, Shift+F3)", self.previous)
        following = self._button("\u25bc", "Next match (Enter, F3)", self.next)
        close = self._button("\u2715", "Close (Escape)", self.close_bar)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.setSpacing(4)
        for widget in (self.field, self.status, previous, following, close):
            layout.addWidget(widget)
        parent.installEventFilter(self)  # follow the canvas's size
        canvas.document.changed.connect(self._refresh)
        self.hide()

    def _button(self, text: str, tip: str, slot) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- opening and closing ------------------------------------------------------------------
    def open_bar(self) -> None:
        """Show the bar with its text selected, so typing replaces the last search."""
        self._place()
        self.show()
        self.raise_()
        self.field.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        if self.field.text():
            self._on_text(self.field.text())

    def close_bar(self) -> None:
        self.hide()
        self.canvas.viewer.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    # -- matching -----------------------------------------------------------------------------
    def _on_text(self, text: str) -> None:
        self.matches = find_nodes(self.canvas.document.graph, self.canvas.registry, text)
        self.current = -1
        if self.matches:
            self.next()
        else:
            self._say()

    def _refresh(self) -> None:
        """The graph changed: keep the matches true (a node renamed or deleted) without moving the view."""
        if not self.isVisible() or not self.field.text():
            return
        shown = self.matches[self.current] if 0 <= self.current < len(self.matches) else None
        self.matches = find_nodes(self.canvas.document.graph, self.canvas.registry, self.field.text())
        self.current = self.matches.index(shown) if shown in self.matches else -1
        self._say()

    def next(self) -> None:
        self._step(1)

    def previous(self) -> None:
        self._step(-1)

    def find_next(self) -> None:
        """F3: the next match; with the bar closed, open it (on the last search's first match)."""
        self.next() if self.isVisible() else self.open_bar()

    def find_previous(self) -> None:
        self.previous() if self.isVisible() else self.open_bar()

    def _step(self, direction: int) -> None:
        if not self.matches:
            self._say()
            return
        self.current = (self.current + direction) % len(self.matches)
        node_id = self.matches[self.current]
        self.canvas.select([node_id])
        show_readable(self.canvas, node_id)
        self._say()

    def _say(self) -> None:
        text = self.field.text().strip()
        if not text:
            self.status.setText("")
            self.status.setToolTip("")
        elif not self.matches:
            self.status.setText("<span style='color:#ff8080'>No node matches</span>")
            self.status.setToolTip(f"No node's id, title or type contains “{text}”")
        else:
            number = f"{self.current + 1} of {len(self.matches)}" if self.current >= 0 else f"{len(self.matches)}"
            self.status.setText(f"{number} {'match' if len(self.matches) == 1 else 'matches'}")
            self.status.setToolTip("Enter or F3: next; Shift+Enter or Shift+F3: previous")

    # -- keys and placement -------------------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.field and event.type() == QtCore.QEvent.Type.KeyPress:
            key, shift = event.key(), bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
            if key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter, QtCore.Qt.Key.Key_F3):
                self.previous() if shift else self.next()
                return True
            if key == QtCore.Qt.Key.Key_Escape:
                self.close_bar()
                return True
        elif watched is self.parent() and event.type() == QtCore.QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)

    def _place(self) -> None:
        self.adjustSize()
        parent = self.parentWidget()
        self.move(max(0, parent.width() - self.width() - BAR_MARGIN), BAR_MARGIN)


def show_readable(canvas, node_id: str, scale: float = READABLE_SCALE) -> None:
    """Centre the view on the node, zoomed in to `scale` unless the view is already closer."""
    canvas_node = canvas.canvas_node(node_id)
    if canvas_node is not None:
        viewer = canvas.viewer
        centre_view(viewer, canvas_node.view.sceneBoundingRect().center(), max(scale, viewer.transform().m11()))


def centre_view(viewer, centre: QtCore.QPointF, scale: float) -> None:
    """Show the scene at `scale` around `centre` (scene coordinates), exactly: repeated calls never drift."""
    view = viewer.viewport().rect()
    if view.width() <= FIT_MARGIN * 2 or view.height() <= FIT_MARGIN * 2:
        return
    # fitInView keeps FIT_MARGIN pixels free on each side and takes the smaller of the two
    # ratios: ask for a rectangle whose tighter side comes out at exactly `scale`
    asked = scale * max(
        view.width() / (view.width() - 2 * FIT_MARGIN), view.height() / (view.height() - 2 * FIT_MARGIN)
    )
    shown = QtCore.QRectF(0, 0, view.width() / asked, view.height() / asked)
    shown.moveCenter(centre)
    viewer.frame(shown, margin=0.0, max_scale=asked)
