"""Undoable edits. Each command holds the engine graph before and after the edit, so undo and
redo restore the exact graph (parameters, edges, positions, training settings) every time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui

from engine.graph import Graph

if TYPE_CHECKING:
    from editor.document import GraphDocument


class GraphEditCommand(QtGui.QUndoCommand):
    def __init__(self, document: GraphDocument, label: str, before: Graph, after: Graph):
        super().__init__(label)
        self._document = document
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._document.set_graph(self._after)

    def undo(self) -> None:
        self._document.set_graph(self._before)
