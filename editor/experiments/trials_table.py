"""The live trial table: one row per trial from trials.json, sortable by any column (numbers as numbers)."""

from __future__ import annotations

import math
from typing import Any

from PySide6 import QtCore, QtGui

from editor.training.runs_panel import describe_seconds

STATE_COLORS = {
    "complete": "#5ac86e",
    "running": "#5b8cff",
    "pruned": "#f0b43c",
    "failed": "#ff6b6b",
    "interrupted": "#8a90a0",
}
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


class TrialsModel(QtCore.QAbstractTableModel):
    """Columns: trial, one per swept setting, best metric, epochs, time, state."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.targets: list[str] = []
        self.metric = "val_acc"
        self.best_trial: int | None = None

    def set_table(self, table: dict[str, Any]) -> None:
        self.beginResetModel()
        self.rows = list(table.get("trials") or [])
        self.targets = list(table.get("targets") or [])
        self.metric = str(table.get("metric") or "val_acc")
        self.best_trial = table.get("best_trial")
        self.endResetModel()

    def headers(self) -> list[str]:
        # two-line headers (node, then setting): the table is narrow in the bottom dock
        best = f"best\n{self.metric.replace('_', ' ')}"
        return ["trial", *(t.replace(".", "\n", 1) for t in self.targets), best, "epochs", "time", "state"]

    def rowCount(self, parent=None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self.headers())

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == QtCore.Qt.Orientation.Horizontal and role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def raw(self, row: dict[str, Any], column: int) -> Any:
        n = len(self.targets)
        if column == 0:
            return row["trial"]
        if column <= n:
            return row["params"].get(self.targets[column - 1])
        return [row.get("best"), row.get("epochs"), row.get("seconds"), row.get("state")][column - n - 1]

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        value = self.raw(row, column)
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._text(column, value)
        if role == SORT_ROLE:
            if isinstance(value, bool) or value is None:
                return str(value)
            return value if isinstance(value, (int, float)) else str(value)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and column == self.columnCount() - 1:
            return QtGui.QBrush(QtGui.QColor(STATE_COLORS.get(str(value), "#8a90a0")))
        if role == QtCore.Qt.ItemDataRole.FontRole and row["trial"] == self.best_trial:
            font = QtGui.QFont()
            font.setBold(True)
            return font
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return row.get("message") or (f"run {row['run_id']}" if row.get("run_id") else None)
        return None

    def _text(self, column: int, value: Any) -> str:
        n = len(self.targets)
        if value is None:
            return "—"
        if column == n + 1:  # best metric
            return f"{value:.1%}" if self.metric.endswith("acc") else f"{value:.4g}"
        if column == n + 3:
            return describe_seconds(value)
        if isinstance(value, float):
            return f"{value:.4g}" if math.isfinite(value) else str(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


class TrialsSortProxy(QtCore.QSortFilterProxyModel):
    """Sorts by each cell's raw value (numbers as numbers, text as text)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left, right) -> bool:  # noqa: N802 (Qt's name)
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        if isinstance(a, (int, float)) != isinstance(b, (int, float)):
            return isinstance(a, (int, float))  # numbers before the dashes of trials without one
        return str(a) < str(b)
