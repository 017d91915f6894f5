"""The open graph: the engine Graph (the model), its undo stack and its file path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtGui

from editor.commands import GraphEditCommand
from engine.graph import Graph


class GraphDocument(QtCore.QObject):
    """Holds the engine graph. Views read `graph` and listen to `changed`; they never mutate
    it directly but call `edit`, which pushes an undoable command."""

    changed = QtCore.Signal()  # the graph was replaced: an edit, undo, redo, new or open
    path_changed = QtCore.Signal()
    loaded = QtCore.Signal()  # a different graph was opened (New, Open, restore)
    weights_changed = QtCore.Signal()  # trained weights were attached or dropped

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._graph = Graph()
        self.undo_stack = QtGui.QUndoStack(self)
        self.path: Path | None = None
        # The weights of the latest run of this graph (a weights.safetensors keyed node_id.param):
        # "Continue training" and export start from them.
        self.trained_weights: Path | None = None

    @property
    def graph(self) -> Graph:
        """The current graph. Treat it as read-only; change it with `edit`."""
        return self._graph

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def edit(self, label: str, mutate: Callable[[Graph], object]) -> bool:
        """Apply `mutate` to a copy of the graph and push it as one undoable step.

        Returns False (and records nothing) when the edit changed nothing. Exceptions from
        `mutate` (GraphError, ParamError) propagate and leave the graph untouched.
        """
        after = self._graph.copy()
        mutate(after)
        if after == self._graph:
            return False
        # the current graph itself is the step's "before": it is never changed in place (edits
        # replace it, set_graph keeps a copy), and a copy of 500 nodes costs ~20 ms
        self.undo_stack.push(GraphEditCommand(self, label, self._graph, after))
        return True

    def set_graph(self, graph: Graph) -> None:
        """Replace the graph without recording a step (used by commands)."""
        self._graph = graph.copy()
        if self.path is not None:  # relative data paths are read beside the file, as reopening it would
            self._graph.base_dir = self.path.resolve().parent
        self.changed.emit()

    def load(self, graph: Graph, path: Path | None) -> None:
        """Start over with `graph` (New, Open): clears undo history, marks it unmodified."""
        self.undo_stack.clear()
        self.path = path
        self.attach_weights(None)
        self.set_graph(graph)
        self.undo_stack.setClean()
        self.path_changed.emit()
        self.loaded.emit()

    def attach_weights(self, path: Path | None) -> None:
        if path != self.trained_weights:
            self.trained_weights = path
            self.weights_changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._graph.base_dir = path.resolve().parent  # Save As elsewhere moves where relative data paths point
        self.undo_stack.setClean()
        self.path_changed.emit()
