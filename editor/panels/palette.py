"""The palette: every node type in the registry, grouped by category, with a filter box.
Drag an entry onto the canvas, or double-click it to add it at the centre of the view."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from editor import theme
from editor.canvas.blocks import BLOCK_PREFIX
from editor.canvas.node_classes import DRAG_PREFIX
from editor.palette_search import HELP, no_match_text, search
from editor.theme import category_icon
from engine.registry import NodeType, Registry

TYPE_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


class _NodeTree(QtWidgets.QTreeWidget):
    def mimeData(self, items):
        mime = QtCore.QMimeData()
        type_ids = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if type_ids:
            mime.setText(DRAG_PREFIX + type_ids[0])
        return mime

    def mimeTypes(self):
        return ["text/plain"]


class Palette(QtWidgets.QWidget):
    activated = QtCore.Signal(str)  # type id to add

    def __init__(self, registry: Registry, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("Filter nodes…")
        self.filter.setClearButtonEnabled(True)
        self.tree = _NodeTree()
        self.tree.setHeaderHidden(True)
        self.tree.setIndentation(10)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(QtCore.QSize(12, 12))
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.filter)
        self.no_match = QtWidgets.QLabel()
        self.no_match.setObjectName("muted")
        self.no_match.setWordWrap(True)
        self.no_match.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.no_match.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Expanding)
        self.no_match.hide()
        layout.addWidget(self.no_match)
        layout.addWidget(self.tree)
        hint = QtWidgets.QLabel("Drag onto the canvas, double-click,\nor press Tab on the canvas.")
        hint.setObjectName("muted")
        layout.addWidget(hint)
        self._items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._types = {t.type_id: t for t in registry}
        self._build(registry)
        self._blocks_group: QtWidgets.QTreeWidgetItem | None = None
        self.filter.textChanged.connect(self.apply_filter)
        self.tree.itemActivated.connect(self._on_activated)
        self.filter.returnPressed.connect(self._activate_first_visible)

    def _build(self, registry: Registry) -> None:
        header_font = self.tree.font()
        header_font.setBold(True)
        header_font.setPointSizeF(9)
        for category, types in registry.by_category().items():
            if not types:
                continue
            group = QtWidgets.QTreeWidgetItem([theme.CATEGORY_LABELS.get(category, category).upper()])
            group.setFont(0, header_font)
            group.setForeground(0, theme.qcolor(theme.category_color(category)))
            group.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            for node_type in sorted(types, key=lambda t: t.title.lower()):
                group.addChild(self._entry(node_type))
            group.setExpanded(True)

    def _entry(self, node_type: NodeType) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([node_type.title])
        item.setIcon(0, category_icon(node_type.category))
        item.setToolTip(0, f"<b>{node_type.title}</b><br>{node_type.summary}")
        item.setData(0, TYPE_ROLE, node_type.type_id)
        item.setFlags(
            QtCore.Qt.ItemFlag.ItemIsEnabled
            | QtCore.Qt.ItemFlag.ItemIsSelectable
            | QtCore.Qt.ItemFlag.ItemIsDragEnabled
        )
        self._items[node_type.type_id] = item
        return item

    def apply_filter(self, text: str) -> None:
        """Show the types whose name, synonyms or help match `text`; say so when none does."""
        total = 0
        ranks = {t.type_id: rank for t, rank in search(self._types.values(), text)}
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            shown = 0
            for child_index in range(group.childCount()):
                child = group.child(child_index)
                key = child.data(0, TYPE_ROLE)
                rank = ranks.get(key) if not key.startswith(BLOCK_PREFIX) else _block_rank(child.text(0), text)
                child.setHidden(rank is None)
                # found only in the help text: shown, but quieter than a match on the name
                dim = theme.qcolor(theme.TEXT_DIM) if rank == HELP else None
                child.setData(0, QtCore.Qt.ItemDataRole.ForegroundRole, dim)
                shown += rank is not None
            group.setHidden(shown == 0)
            total += shown
        self.no_match.setText(no_match_text(text) if not total else "")
        self.no_match.setVisible(not total)
        self.tree.setVisible(bool(total))

    def set_blocks(self, entries: list[tuple[str, str, str]]) -> None:
        """The BLOCKS section: (key, title, tooltip) per built-in and library block; added by double-click or Enter."""
        if self._blocks_group is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(self._blocks_group))
        group = QtWidgets.QTreeWidgetItem(["BLOCKS"])
        font = self.tree.font()
        font.setBold(True)
        font.setPointSizeF(9)
        group.setFont(0, font)
        group.setForeground(0, theme.qcolor(theme.TEXT_DIM))
        group.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
        for key, title, tooltip in entries:
            item = QtWidgets.QTreeWidgetItem([title])
            item.setToolTip(0, f"<b>{title}</b><br>{tooltip}<br>Double-click to insert it after the selected node.")
            item.setData(0, TYPE_ROLE, key)
            item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable)
            group.addChild(item)
        self.tree.addTopLevelItem(group)
        group.setExpanded(True)
        self._blocks_group = group
        self.apply_filter(self.filter.text())

    def block_keys(self) -> list[str]:
        group = self._blocks_group
        return [group.child(i).data(0, TYPE_ROLE) for i in range(group.childCount())] if group else []

    def visible_type_ids(self) -> list[str]:
        return [t for t, item in self._items.items() if not item.isHidden() and not item.parent().isHidden()]

    def item_for(self, type_id: str) -> QtWidgets.QTreeWidgetItem:
        return self._items[type_id]

    def _on_activated(self, item: QtWidgets.QTreeWidgetItem, _column: int = 0) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.activated.emit(type_id)

    def best_match(self) -> str | None:
        """The type Enter adds: the best-ranked match of the filter text."""
        ranked = search(self._types.values(), self.filter.text())
        return ranked[0][0].type_id if ranked else None

    def _activate_first_visible(self) -> None:
        best = self.best_match()
        if best:
            self.activated.emit(best)


def _block_rank(title: str, text: str) -> int | None:
    """Blocks match on their title (any match counts as a name match)."""
    return 0 if not text.strip() or text.strip().lower() in title.lower() else None
