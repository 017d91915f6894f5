"""Files: new, open, save, save as, recent files, examples, autosave and crash recovery.

Graphs are written with the engine's versioned format (`save_graph` is atomic). A file that
cannot be read leaves the open graph untouched and says why in one readable line.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from editor import graph_ops
from editor.document import GraphDocument
from editor.gui_gc import resettle_soon
from editor.recovery import RecoveryFile
from engine.graph import Graph, GraphFileError, dumps_graph, load_graph, loads_graph, save_graph
from engine.graph.rebase import rebase_data_paths
from engine.runs import RunStore

FILE_FILTER = "Netwright graphs (*.json);;All files (*)"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"
MAX_RECENT = 8
# Autosave runs this long after the last edit, and never later than AUTOSAVE_MAX_MS after the
# first unsaved one (a user editing without pause still loses at most 10 s of work).
AUTOSAVE_DELAY_MS = 3_000
AUTOSAVE_MAX_MS = 10_000


START_EXAMPLE = EXAMPLES_DIR / "mlp_digits.json"  # what a newcomer sees first


def example_files(folder: Path = EXAMPLES_DIR) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def example_title(path: Path) -> str:
    """The graph's own name for the Examples menu (the file name if it has none)."""
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) and name else path.stem.replace("_", " ")


def start_example() -> Path | None:
    if START_EXAMPLE.is_file():
        return START_EXAMPLE
    return next(iter(example_files()), None)


def default_recovery_path() -> Path:
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netwright") / "recovery.json"


def take_runs_along(source: RunStore, target: RunStore) -> int:
    """Copy the finished runs of `source` into `target` (those it lacks); returns how many."""
    copied = 0
    for run in source.runs():
        destination = target.folder / run.folder.name
        if run.status == "running" or destination.exists():
            continue
        shutil.copytree(run.folder, destination)
        copied += 1
    return copied


class FileController(QtCore.QObject):
    recent_changed = QtCore.Signal()
    status = QtCore.Signal(str)

    def __init__(
        self,
        document: GraphDocument,
        window: QtWidgets.QWidget,
        settings: QtCore.QSettings,
        recovery_path: Path | None = None,
    ):
        super().__init__(window)
        self.document = document
        self.window = window
        self.settings = settings
        # this window's own recovery file, beside those of other windows (see editor.recovery)
        self.recovery = RecoveryFile(recovery_path or default_recovery_path())
        self.recovery_path = self.recovery.path
        self.runs_root = self.recovery_path.parent / "runs"  # runs of graphs without a file
        self.autosave_timer = QtCore.QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.timeout.connect(self.autosave)
        self._autosaving = False
        self._unsaved_since: float | None = None  # monotonic time of the first edit not autosaved

    # -- opening ------------------------------------------------------------------------------
    def new_file(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.load(Graph(name="Untitled"), None)
        return True

    def open_file(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            start = str(self.document.path.parent) if self.document.path else str(Path.home())
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open graph", start, FILE_FILTER)
            if not chosen:
                return False
            path = chosen
        return self.load_path(Path(path))

    def load_path(self, path: Path, remember: bool = True) -> bool:
        """Open `path` without asking about unsaved changes; on failure keep the open graph."""
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Cannot open graph", str(exc))
            return False
        graph_ops.place_unpositioned(graph)
        self.document.load(graph, path if remember else None)
        resettle_soon()  # the graph it replaced may be cyclic garbage among frozen objects
        if remember:
            self.add_recent(path)
        self.status.emit(f"Opened {path.name}")
        return True

    def open_example(self, path: Path) -> bool:
        """Examples open as untitled copies so Save never overwrites them."""
        if not self.maybe_save():
            return False
        return self.load_path(path, remember=False)

    # -- saving -------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path.home() / f"{self.document.graph.name or 'graph'}.json")
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save graph as", start, FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        # Saved into another folder, relative data paths are rewritten to reach the same files from it
        graph = self.document.graph.copy()
        moved = rebase_data_paths(graph, path.resolve().parent)
        try:
            save_graph(graph, path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Cannot save graph", f"{path}: {exc.strerror or exc}")
            return False
        if self.document.path is None:  # an untitled graph's runs go with it, so Continue still works
            untitled = RunStore.named(self.runs_root, self.document.graph.name or "untitled")
            try:
                take_runs_along(untitled, RunStore.beside(path))
            except OSError as exc:
                self.status.emit(f"Saved, but its runs stayed in {untitled.folder}: {exc.strerror or exc}")
        if moved:  # the same change in the editor's graph, as one undoable step
            self.document.edit("Data paths for the new folder", lambda g: rebase_data_paths(g, path.resolve().parent))
        self.document.mark_saved(path)
        self.add_recent(path)
        self.discard_recovery()
        if moved:
            first = moved[0]
            more = f" and {len(moved) - 1} more" if len(moved) > 1 else ""
            self.status.emit(
                f"Saved {path.name}; data paths rewritten to reach the same files from its folder: "
                f"{first.node_id}.{first.param} {first.before} → {first.after}{more}"
            )
        else:
            self.status.emit(f"Saved {path.name}")
        return True

    def maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; False means the user cancelled."""
        if not self.document.modified:
            return True
        name = self.document.path.name if self.document.path else "this graph"
        answer = QtWidgets.QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {name} first?",
            QtWidgets.QMessageBox.StandardButton.Save
            | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Save,
        )
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QtWidgets.QMessageBox.StandardButton.Discard

    # -- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [Path(p) for p in (value or [])]

    def add_recent(self, path: Path) -> None:
        entries = [str(path.resolve())] + [str(p) for p in self.recent_files() if p != path.resolve()]
        self.settings.setValue("recent_files", entries[:MAX_RECENT])
        self.recent_changed.emit()

    def clear_recent(self) -> None:
        self.settings.setValue("recent_files", [])
        self.recent_changed.emit()

    # -- autosave and recovery ------------------------------------------------------------------
    def start_autosave(self) -> None:
        """From now on, every edit schedules an autosave a few seconds later."""
        if not self._autosaving:
            self._autosaving = True
            # after the step is on the stack (during `changed` a new edit does not count as modified yet)
            self.document.undo_stack.indexChanged.connect(self._schedule_autosave)

    def _schedule_autosave(self) -> None:
        if not self._autosaving or not self.document.modified:
            return
        now = time.monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        left_ms = AUTOSAVE_MAX_MS - (now - self._unsaved_since) * 1000
        self.autosave_timer.start(int(max(0.0, min(AUTOSAVE_DELAY_MS, left_ms))))

    def stop_autosave(self) -> None:
        self._autosaving = False
        self.autosave_timer.stop()

    def autosave(self) -> None:
        """Write unsaved work to the recovery file (never to the user's file)."""
        self._unsaved_since = None
        if not self.document.modified:
            return
        try:
            self.recovery.write(dumps_graph(self.document.graph))
        except OSError:
            return
        self.settings.setValue(_origin_key(self.recovery.id), str(self.document.path or ""))

    def discard_recovery(self) -> None:
        """Forget this window's recovery file (never another window's)."""
        self.recovery.discard()
        self.settings.remove(_origin_key(self.recovery.id))

    def offer_recovery(self) -> bool:
        """Offer, one by one, the graphs autosaved by windows that crashed. Returns True when one was restored.

        Recovery files of windows still running are never offered; those not looked at (after
        one is restored) stay for the next window.
        """
        orphans = self.recovery.orphans()
        try:
            for orphan in orphans:
                origin_key = _origin_key(orphan.id)
                try:
                    graph = loads_graph(orphan.read(), str(orphan.path))
                except (OSError, UnicodeDecodeError, GraphFileError):
                    orphan.discard()
                    self.settings.remove(origin_key)
                    continue
                original = self.settings.value(origin_key, "") or ""
                answer = QtWidgets.QMessageBox.question(
                    self.window,
                    "Restore unsaved work?",
                    recovery_question(orphan.path, graph, original),
                    QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
                    QtWidgets.QMessageBox.StandardButton.Yes,
                )
                self.settings.remove(origin_key)
                if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                    orphan.discard()
                    continue
                try:
                    self.recovery.adopt(orphan)
                    self.settings.setValue(_origin_key(self.recovery.id), original)
                except OSError:
                    pass  # restored all the same; the next autosave writes this window's own file
                self._restore(graph, original)
                return True
            return False
        finally:
            for orphan in orphans:
                orphan.release()

    def _restore(self, graph: Graph, original: str) -> None:
        self.document.load(Graph(), Path(original) if original else None)
        # restored work is unsaved work: make it one undoable step away from an empty graph
        self.document.edit("Restore autosaved graph", lambda g: _replace(g, graph))
        self.status.emit("Restored the autosaved graph")


def _origin_key(recovery_id: str) -> str:
    """The settings key holding the graph file a recovery file's window had open ("" if none)."""
    return "recovery/path" if recovery_id == "recovery" else f"recovery/origin/{recovery_id}"


def recovery_question(recovery: Path, graph: Graph, original: str) -> str:
    """What the recovery dialog asks: which graph, from which file, autosaved when."""
    try:
        saved = QtCore.QDateTime.fromSecsSinceEpoch(int(recovery.stat().st_mtime))
        when = QtCore.QLocale().toString(saved, QtCore.QLocale.FormatType.ShortFormat)
    except OSError:
        when = "an unknown time"
    name = f"“{graph.name}”" if graph.name else "an untitled graph"
    source = f" (from {original})" if original else " (never saved to a file)"
    return (
        f"Netwright did not close normally. It autosaved {name}{source} at {when}, "
        f"with {len(graph.nodes)} node{'s' if len(graph.nodes) != 1 else ''}.\n\nRestore it?"
    )


def _replace(target: Graph, source: Graph) -> None:
    target.nodes, target.edges = source.copy().nodes, list(source.edges)
    target.training, target.name, target.description = dict(source.training), source.name, source.description
