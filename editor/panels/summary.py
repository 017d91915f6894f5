"""The summary panel: each node's output shape and parameter count, and the total."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from editor.theme import category_icon
from engine.analysis import Analysis
from engine.graph import Graph
from engine.registry import catalog


class SummaryPanel(QtWidgets.QWidget):
    node_activated = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Node", "Output shape", "Parameters"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QtCore.QSize(10, 10))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(QtCore.Qt.AlignmentFlag.AlignLeft)
        self.total = QtWidgets.QLabel()
        self.total.setObjectName("total")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tree)
        layout.addWidget(self.total)
        self._graph = Graph()
        self._analysis = Analysis()
        self.counts: dict[str, int] = {}
        self._stale = False  # the table lags the graph until it is shown
        self._seen = True  # see set_seen
        self.tree.itemClicked.connect(
            lambda item: self.node_activated.emit(item.data(0, QtCore.Qt.ItemDataRole.UserRole))
        )

    def show_analysis(self, graph: Graph, analysis: Analysis) -> None:
        self._graph, self._analysis = graph, analysis
        self._fill_when_seen()

    def show_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._fill_when_seen()

    def _fill_when_seen(self) -> None:
        """Rebuild the table now if it is on screen, else when it is shown: it is a tab behind
        Problems by default, and rebuilding 500 rows on every edit cost more than the analysis."""
        self._stale = not (self._seen and self.isVisible())
        if self._stale:
            self._show_total()
        else:
            self._fill()

    def set_seen(self, seen: bool) -> None:
        """Whether the panel is on screen: a dock's tab behind another is moved away, not hidden."""
        self._seen = seen
        if seen and self._stale:
            self._stale = False
            self._fill()

    def total_parameters(self) -> int:
        return sum(self.counts.get(n, 0) for n in self._graph.nodes)

    def _fill(self) -> None:
        registry = catalog()
        graph, analysis = self._graph, self._analysis
        order = [n for n in analysis.order if n in graph.nodes]
        ordered = set(order)
        order += [n for n in graph.nodes if n not in ordered]
        self.tree.clear()
        pending = False
        icons: dict[str, QtGui.QIcon] = {}
        broken = {p.node_id for p in analysis.errors}
        for node_id in order:
            node = graph.nodes[node_id]
            node_type = registry.get(node.type_id) if node.type_id in registry else None
            outputs = [analysis.specs.get((node_id, p.name)) for p in node_type.outputs] if node_type else []
            shape = ", ".join(str(s) for s in outputs if s is not None) or (
                "—" if node_type and not node_type.outputs else "?"
            )
            if node_type is not None and node_type.has_weights:
                if node_id in self.counts:
                    params = f"{self.counts[node_id]:,}"
                elif node_id in broken or any(s is None for s in outputs):
                    params = "—"
                else:
                    params, pending = "…", True
            else:
                params = "0" if node_type else "?"
            title = node_type.title if node_type else node.type_id
            item = QtWidgets.QTreeWidgetItem([f"{node_id}  ({title})", shape, params])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, node_id)
            if node_type:
                item.setIcon(
                    0,
                    icons.get(node_type.category)
                    or icons.setdefault(node_type.category, category_icon(node_type.category, 10)),
                )
            item.setTextAlignment(2, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        self._show_total(pending)

    def _show_total(self, pending: bool | None = None) -> None:
        if pending is None:  # the table was not rebuilt: is any layer with a known shape still uncounted?
            pending = self._counting()
        suffix = " (counting…)" if pending else ""
        self.total.setText(f"Total: {self.total_parameters():,} parameters{suffix}")

    def _counting(self) -> bool:
        registry, analysis = catalog(), self._analysis
        broken = {p.node_id for p in analysis.errors}
        for node_id, node in self._graph.nodes.items():
            if node_id in self.counts or node_id in broken or node.type_id not in registry:
                continue
            node_type = registry.get(node.type_id)
            if node_type.has_weights and all(
                analysis.specs.get((node_id, p.name)) is not None for p in node_type.outputs
            ):
                return True
        return False
