"""Tab on the canvas: a search box at the cursor that adds the chosen node there."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from editor.palette_search import search
from editor.theme import category_icon
from engine.registry import Registry


class QuickAdd(QtWidgets.QFrame):
    chosen = QtCore.Signal(str, QtCore.QPointF)  # type id, scene position

    def __init__(self, registry: Registry, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.setObjectName("quickAdd")
        self.setFixedWidth(280)
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Add node…")
        self.results = QtWidgets.QListWidget()
        self.results.setFixedHeight(240)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self._types = sorted(registry, key=lambda t: (t.category, t.title.lower()))
        self._scene_pos = QtCore.QPointF()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept)
        self.results.itemActivated.connect(lambda _item: self._accept())
        self.search.installEventFilter(self)
        self.hide()

    def open_at(self, view_pos: QtCore.QPoint, scene_pos: QtCore.QPointF) -> None:
        self._scene_pos = scene_pos
        self.search.clear()
        self._filter("")
        parent = self.parentWidget()
        x = min(max(view_pos.x(), 0), max(parent.width() - self.width(), 0))
        y = min(max(view_pos.y(), 0), max(parent.height() - self.sizeHint().height(), 0))
        self.move(x, y)
        self.show()
        self.raise_()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        """Best matches first (name, then synonyms, then help text); a line saying so when none."""
        self.results.clear()
        ranked = [t for t, _rank in search(self._types, text)] if text.strip() else self._types
        if not ranked:
            item = QtWidgets.QListWidgetItem(f"No node matches “{text.strip()}”")
            item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
            return
        for node_type in ranked:
            item = QtWidgets.QListWidgetItem(category_icon(node_type.category), node_type.title)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, node_type.type_id)
            item.setToolTip(node_type.summary)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def close_box(self) -> None:
        """Hide, giving focus back to the canvas (hiding a focused box would pass it down the tab chain)."""
        focused = QtWidgets.QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            self.parentWidget().setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
        self.hide()

    def _accept(self) -> None:
        item = self.results.currentItem()
        self.close_box()
        if item is not None and item.data(QtCore.Qt.ItemDataRole.UserRole):
            self.chosen.emit(item.data(QtCore.Qt.ItemDataRole.UserRole), self._scene_pos)

    def eventFilter(self, watched, event):
        if watched is self.search and event.type() == QtCore.QEvent.Type.KeyPress:
            key = event.key()
            if key == QtCore.Qt.Key.Key_Escape:
                self.close_box()
                return True
            if key in (QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Up):
                row = self.results.currentRow() + (1 if key == QtCore.Qt.Key.Key_Down else -1)
                self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
                return True
        return super().eventFilter(watched, event)
