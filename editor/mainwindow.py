"""The main window: canvas in the middle, palette left, properties and help right, problems
and summary below; menus, toolbar and status bar. It wires the parts together and owns
no graph logic of its own."""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6 import QtCore, QtGui, QtWidgets

from editor.canvas.blocks import (
    BLOCK_PREFIX,
    insert_block_menu,
    insert_from_key,
    make_block_from_selection,
    palette_entries,
    save_selection_block,
    ungroup_selection,
)
from editor.canvas.canvas import Canvas
from editor.canvas.collapsed import collapse_selection, expand_selection
from editor.canvas.find import FindBar
from editor.canvas.minimap import Minimap
from editor.canvas.thumbnail import install_thumbnails
from editor.document import GraphDocument
from editor.example_path import example_summary, grouped_examples
from editor.experiments import install_experiments
from editor.export_import import ExportImportController
from editor.files import FileController, example_files, example_title, start_example
from editor.gui_gc import collect_garbage_on_gui_thread
from editor.help.pages import GETTING_STARTED, shortcut_text, shortcuts_html
from editor.inspector import install_inspector
from editor.lessons import install_lessons
from editor.live_analysis import LiveAnalysis
from editor.panels.code_view import install_code_view
from editor.panels.data_preview import install_data_preview
from editor.panels.help import HelpPane
from editor.panels.palette import Palette
from editor.panels.problems import ProblemsPanel
from editor.panels.properties import PropertiesPanel
from editor.panels.summary import SummaryPanel
from editor.richtext import plain
from editor.training.controller import TrainingController
from editor.training.readiness import training_readiness
from editor.training.session import TrainingSession
from engine.analysis import Analysis, Problem
from engine.analysis.fixes import apply_fix
from engine.graph import GraphError
from engine.registry import catalog

Key = QtGui.QKeySequence
EXAMPLE_FAMILY = "example-family"  # data of the Examples menu's family headings
GEOMETRY_KEY = "window/geometry"
DOCK_STATE_KEY = "window/dock_state"
REOPEN_LAST_KEY = "reopen_last_file"
MINIMAP_KEY = "view/minimap"
LAYOUT_VERSION = 1  # bump when docks are added or renamed: an old saved layout is then ignored
PROPERTIES_MIN_H = 150  # the Properties dock: its title, a node's name and two parameters
PROPERTIES_SHARE_MIN_H = 220  # what it keeps when the training panel opens below it
BOTTOM_DOCKS_START_SHARE = 0.4  # at start, Problems/Training take at most this share of the height
BOTTOM_DOCKS_FIRST_SHARE = 0.23  # the same on a first start (no saved layout): 230 px at 1000, the panels' ~244 at 720
TRAINING_DOCK_MAX_SHARE = 0.45  # a run opens the training panel to 420 px, or this share if less
STATUS_COLOURS = {"ok": "#5ac86e", "warning": "#e0b050", "error": "#ff8080", "empty": "#8a90a0", "running": "#6aa8ff"}


class MainWindow(QtWidgets.QMainWindow):
    def __init__(
        self,
        settings: QtCore.QSettings | None = None,
        recovery_path: Path | None = None,
        analysis_delay_ms: int = 120,
        training_session: TrainingSession | None = None,
    ):
        super().__init__()
        collect_garbage_on_gui_thread()  # worker threads must never run Qt destructors
        self.setObjectName("NetwrightMainWindow")
        self.registry = catalog()
        self.settings = settings or QtCore.QSettings("Netwright", "Netwright")
        self.document = GraphDocument(self)
        self.canvas = Canvas(self.document, self)
        self.live = LiveAnalysis(self.document, analysis_delay_ms, self)
        self.files = FileController(self.document, self, self.settings, recovery_path)

        self.palette = Palette(self.registry)
        self.properties = PropertiesPanel(self.document)
        self.help = HelpPane()
        self.problems = ProblemsPanel()
        self.summary = SummaryPanel()
        # runs of unsaved graphs and examples go next to the recovery file (the app's data folder)
        self.training = TrainingController(self, training_session, self.files.runs_root)
        self.export_import = ExportImportController(
            self, self.document, self.files, self.files.recovery_path.parent / "weights"
        )

        self.setCentralWidget(self.canvas.widget)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self.lessons = install_lessons(self)  # Lessons menu, Lesson pane, Help > Glossary
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self.resize(1600, 1000)
        self.layout_restored = self.restore_layout()
        if not self.layout_restored:
            # tabbed docks show the one added last until the window is up: put Help and Problems in front then
            QtCore.QTimer.singleShot(0, self._front_tabs)
        self._update_title()

    def fit_to_screen(self) -> None:
        """Before the window first shows: no larger than its screen offers (a 1280x720 laptop), and the
        canvas the largest part of it, also when a saved layout's bottom panel was made taller (a run
        opens the training panel to 420 px) or on a taller screen."""
        screen = self.screen()
        if not self.layout_restored and screen is not None:
            room = screen.availableGeometry()
            self.resize(min(1600, room.width()), min(1000, room.height()))
        share = BOTTOM_DOCKS_START_SHARE if self.layout_restored else BOTTOM_DOCKS_FIRST_SHARE
        QtCore.QTimer.singleShot(0, lambda: self.limit_bottom_docks(share))

    def limit_bottom_docks(self, share: float = BOTTOM_DOCKS_START_SHARE) -> None:
        limit = int(self.height() * share)
        dock = self._front_bottom_dock()
        if dock is not None and dock.height() > limit:  # tabbed docks share one height: one resize does
            self.resizeDocks([dock], [limit], QtCore.Qt.Orientation.Vertical)

    def _front_bottom_dock(self) -> QtWidgets.QDockWidget | None:
        """The bottom panel in view (a tab behind another reports visible too, with its old height)."""
        for dock in self.findChildren(QtWidgets.QDockWidget):
            bottom = self.dockWidgetArea(dock) == QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
            if bottom and dock.isVisible() and not dock.isFloating() and not dock.visibleRegion().isEmpty():
                return dock
        return None

    def _front_tabs(self) -> None:
        self.help_dock.raise_()
        self.problems_dock.raise_()

    # -- layout -------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QtWidgets.QWidget, name: str) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        return dock

    def _build_docks(self) -> None:
        Area = QtCore.Qt.DockWidgetArea
        self.setCorner(QtCore.Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.setCorner(QtCore.Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        self.palette_dock = self._dock("Nodes", self.palette, "palette")
        self.properties_dock = self._dock("Properties", self.properties, "properties")
        self.help_dock = self._dock("Help", self.help, "help")
        self.problems_dock = self._dock("Problems", self.problems, "problems")
        self.summary_dock = self._dock("Summary", self.summary, "summary")
        self.addDockWidget(Area.LeftDockWidgetArea, self.palette_dock)
        self.addDockWidget(Area.RightDockWidgetArea, self.properties_dock)
        self.addDockWidget(Area.RightDockWidgetArea, self.help_dock)
        self.training_dock = self._dock("Training", self.training.dashboard, "training")
        self.insights_dock = self._dock("Insights", self.training.insights, "insights")
        self.addDockWidget(Area.RightDockWidgetArea, self.insights_dock)
        self.tabifyDockWidget(self.help_dock, self.insights_dock)
        self.data_dock = install_data_preview(self)  # the Dataset's samples, balance and columns, beside Help
        install_thumbnails(self)  # a few samples (or a table glyph) on each Dataset node
        self.inspector = install_inspector(self)  # tabbed beside Insights
        self.code_dock = install_code_view(self)  # the graph's Python, tabbed beside Help
        self.help_dock.raise_()
        self.addDockWidget(Area.BottomDockWidgetArea, self.problems_dock)
        self.tabifyDockWidget(self.problems_dock, self.summary_dock)
        self.tabifyDockWidget(self.summary_dock, self.training_dock)
        self.experiments = install_experiments(self)  # sweeps, tabbed beside Training
        self.problems_dock.raise_()
        self.resizeDocks([self.palette_dock, self.properties_dock], [190, 350], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.properties_dock, self.help_dock], [430, 470], QtCore.Qt.Orientation.Vertical)
        # no dock of the right column can be squeezed to a title bar by the other (1280x720)
        self.properties_dock.setMinimumHeight(PROPERTIES_MIN_H)
        self.resizeDocks([self.problems_dock], [230], QtCore.Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([Key(s) if not isinstance(s, Key) else s for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(
                f"{tip} ({action.shortcut().toString(Key.SequenceFormat.NativeText)})" if shortcut is not None else tip
            )
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        S = Key.StandardKey
        f, c = self.files, self.canvas
        self.new_action = self._action("&New", f.new_file, S.New, "Start an empty graph")
        self.open_action = self._action("&Open…", lambda: f.open_file(), S.Open, "Open a graph file")
        self.save_action = self._action("&Save", f.save, S.Save, "Save the graph")
        self.save_as_action = self._action("Save &As…", f.save_as, S.SaveAs, "Save the graph under a new name")
        self.quit_action = self._action("&Quit", self.close, S.Quit)
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(S.Undo)
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([Key(S.Redo), Key("Ctrl+Y")] if Key(S.Redo) != Key("Ctrl+Y") else S.Redo)
        self.undo_action.setToolTip("Undo (Ctrl+Z)")
        self.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")
        self.addActions([self.undo_action, self.redo_action])
        self.cut_action = self._action("Cu&t", self.cut, S.Cut)
        self.copy_action = self._action("&Copy", c.copy_selected, S.Copy)
        self.paste_action = self._action("&Paste", c.paste, S.Paste)
        self.duplicate_action = self._action("&Duplicate", c.duplicate_selected, "Ctrl+D")
        self.delete_action = self._action("De&lete", c.delete_selected, [Key(S.Delete), Key("Backspace")])
        self.delete_reconnect_action = self._action(
            "Delete and &Reconnect",
            c.delete_and_reconnect_selected,
            "Ctrl+Delete",
            "Remove the selected nodes and connect what fed them to what they fed",
        )
        self.select_all_action = self._action("Select &All", c.select_all, S.SelectAll)
        # Tab is the canvas's own key (a window shortcut would steal it from every form): the menu shows it
        self.add_node_action = self._action("&Add Node…\tTab", c.open_quick_add, None, "Search for a node to add (Tab)")
        self.add_node_action.setIconText("Add Node…")
        self.fit_action = self._action("Zoom to &Fit", c.fit, ["F", "Ctrl+0"], "Show the whole graph")
        self.zoom_in_action = self._action("Zoom &In", lambda: self._zoom(0.1), S.ZoomIn)
        self.zoom_out_action = self._action("Zoom &Out", lambda: self._zoom(-0.1), S.ZoomOut)
        self.layout_action = self._action("Auto-&layout", c.auto_layout, "Ctrl+L", "Arrange the nodes left to right")
        self.find_bar = FindBar(c, c.viewer)
        self.find_action = self._action(
            "&Find Node…", self.find_bar.open_bar, S.Find, "Find a node by id, title or type"
        )
        self.find_next_action = self._action("Find &Next", self.find_bar.find_next, "F3", "Go to the next node found")
        self.find_previous_action = self._action(
            "Find Pre&vious", self.find_bar.find_previous, "Shift+F3", "Go to the previous node found"
        )
        self.make_block_action = self._action(
            "Make &Block", lambda: make_block_from_selection(c), "Ctrl+G", "Collapse the selected nodes into one block"
        )
        self.ungroup_action = self._action(
            "&Ungroup", lambda: ungroup_selection(c), "Ctrl+Shift+G", "Dissolve the block the selected nodes are in"
        )
        self.collapse_block_action = self._action(
            "&Collapse Block",
            lambda: collapse_selection(c),
            "Ctrl+Shift+C",
            "Draw the selected node's block as one node",
        )
        self.expand_block_action = self._action(
            "E&xpand Block", lambda: expand_selection(c), "Ctrl+Shift+E", "Draw the selected block's nodes again"
        )
        self.save_block_action = self._action(
            "Save Block to Li&brary", self._save_block, None, "Keep the selected node's block for reuse"
        )
        self.minimap = Minimap(c)
        self.minimap_action = self._action(
            "&Minimap", self.set_minimap, None, "An overview in the canvas's corner while the graph is not all in view"
        )
        self.minimap_action.setCheckable(True)
        self.minimap_action.setChecked(self.settings.value(MINIMAP_KEY, True, type=bool))
        self.minimap.set_enabled(self.minimap_action.isChecked())
        self.about_action = self._action("&About Netwright", self._about)
        self.getting_started_action = self._action(
            "&Getting Started", self.show_getting_started, S.HelpContents, "A short tour: open, train, change, export"
        )
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/", "Every key the editor answers to"
        )
        self.reading_curves_action = self._action(
            "&Reading the Curves", self.training.show_reading_help, None, "What the loss and accuracy curves tell you"
        )
        self.show_runs_action = self._action(
            "Show Runs &Folder", self.show_runs_folder, None, "Open the folder that keeps this graph's runs"
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.examples_menu = file_menu.addMenu("&Examples")
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.export_import.export_action)
        file_menu.addActions(
            [
                self.export_import.import_pytorch_action,
                self.export_import.import_onnx_action,
                self.export_import.load_weights_action,
            ]
        )
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions(
            [
                self.cut_action,
                self.copy_action,
                self.paste_action,
                self.duplicate_action,
                self.delete_action,
                self.delete_reconnect_action,
            ]
        )
        edit_menu.addSeparator()
        edit_menu.addActions([self.select_all_action, self.add_node_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.find_action, self.find_next_action, self.find_previous_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.make_block_action, self.ungroup_action, self.save_block_action])
        edit_menu.addActions([self.collapse_block_action, self.expand_block_action])
        self.insert_block_action = edit_menu.addMenu(insert_block_menu(self.canvas, edit_menu))
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.fit_action, self.zoom_in_action, self.zoom_out_action])
        view_menu.addSeparator()
        view_menu.addAction(self.layout_action)
        view_menu.addAction(self.minimap_action)
        view_menu.addSeparator()
        for dock in (
            self.palette_dock,
            self.properties_dock,
            self.help_dock,
            self.problems_dock,
            self.summary_dock,
            self.training_dock,
            self.insights_dock,
            self.inspector.dock,
            self.experiments.dock,
            self.code_dock,
            self.data_dock,
        ):
            view_menu.addAction(dock.toggleViewAction())
        train_menu = bar.addMenu("&Train")
        train_menu.addActions(self.training.actions)
        train_menu.addSeparator()
        train_menu.addAction(self.show_runs_action)
        train_menu.addAction(self.reading_curves_action)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.getting_started_action, self.shortcuts_action, self.reading_curves_action])
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about_action)
        self._fill_recent()
        self._fill_examples()
        show_shortcuts_in_tooltips(self.menu_actions())

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions([self.new_action, self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions([self.add_node_action, self.layout_action, self.fit_action])
        training = QtWidgets.QToolBar("Training")
        training.setObjectName("training_toolbar")
        training.setMovable(False)
        training.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        training.setIconSize(QtCore.QSize(14, 14))
        self.addToolBarBreak(QtCore.Qt.ToolBarArea.TopToolBarArea)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, training)
        self.training.add_to_toolbar(training)
        self.training_toolbar = training

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.problem_status = QtWidgets.QLabel()
        self.params_status = QtWidgets.QLabel()
        for label in (self.problem_status, self.params_status):
            label.setContentsMargins(10, 0, 10, 0)
            status.addPermanentWidget(label)
        self.problem_status.setObjectName("trainStatus")
        self.training.add_to_status_bar(status)
        self._update_status()

    def _connect(self) -> None:
        c = self.canvas
        c.viewer.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        c.viewer.customContextMenuRequested.connect(self._canvas_menu)
        c.selection_changed.connect(self._on_selection)
        c.message.connect(lambda text: self.statusBar().showMessage(plain(text), 6000))
        self.files.status.connect(lambda text: self.statusBar().showMessage(plain(text), 4000))
        self.files.recent_changed.connect(self._fill_recent)
        self.palette.activated.connect(self._add_from_palette)
        self.palette.set_blocks(palette_entries())
        self.help.setOpenLinks(False)  # links between help pages are ours to follow
        self.help.anchorClicked.connect(self._on_help_link)
        self.live.updated.connect(self._on_analysis)
        self.live.counts_updated.connect(self._on_counts)
        self.summary_dock.visibilityChanged.connect(self.summary.set_seen)
        self.problems.node_activated.connect(lambda node_id: c.select([node_id], centre=True))
        self.summary.node_activated.connect(lambda node_id: c.select([node_id], centre=True))
        self.problems.fix_requested.connect(self.apply_quick_fix)
        self.training.fix_requested.connect(self.apply_quick_fix)
        self.training.status_changed.connect(self._update_status)
        self.problems.count_changed.connect(self._on_problem_count)
        self.properties.renamed.connect(lambda _old, new: c.select([new]))
        self.document.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        self.document.path_changed.connect(self._update_title)
        self.document.loaded.connect(self._on_loaded)
        self.document.changed.connect(self._update_title)

    # -- reactions ------------------------------------------------------------------------------
    def _on_selection(self, node_ids: list[str]) -> None:
        node_id = node_ids[0] if len(node_ids) == 1 else None
        blocks = self.canvas.selected_blocks()
        if not node_ids and len(blocks) == 1:
            self._show_block_properties(blocks[0])
        else:
            self.properties.show_node(node_id)
        node = self.document.graph.nodes.get(node_id) if node_id else None
        self.help.show_type(self.registry.get(node.type_id) if node and node.type_id in self.registry else None)
        self._update_stats()

    def _show_block_properties(self, block_id: str) -> None:
        """Properties of a selected collapsed block: what its card's hover says, and open / ungroup buttons."""
        actions = [
            ("Open block", lambda: self.canvas.frames.open(block_id)),
            ("Ungroup", lambda: ungroup_selection(self.canvas)),
        ]
        self.properties.show_block(block_id, self._block_details(block_id), actions)

    def _block_details(self, block_id: str) -> str:
        return self.canvas.block_nodes.hover_text(self.document.graph, self.live.analysis, self.live.counts, block_id)

    def _update_stats(self) -> None:
        if self.properties.block_id is not None:  # new shapes, counts or problems: the text only, not the form
            self.properties.set_block_details(self._block_details(self.properties.block_id))
            return
        node_id = self.properties.node_id
        node = self.document.graph.nodes.get(node_id) if node_id else None
        if node is None or node.type_id not in self.registry:
            self.properties.set_stats("")
            return
        node_type = self.registry.get(node.type_id)
        shapes = [
            str(s) for p in node_type.outputs if (s := self.live.analysis.specs.get((node_id, p.name))) is not None
        ]
        parts = [f"Output: {', '.join(shapes)}"] if shapes else []
        if node_type.has_weights and node_id in self.live.counts:
            parts.append(f"{self.live.counts[node_id]:,} parameters")
        self.properties.set_stats("   ·   ".join(parts))

    def _on_analysis(self, analysis: Analysis) -> None:
        self.canvas.show_analysis(analysis)
        self.problems.show_analysis(analysis)
        self.summary.show_analysis(self.document.graph, analysis)
        self._update_stats()
        self.training.set_readiness(training_readiness(self.document.graph, analysis))
        self._update_status()

    def _update_status(self) -> None:
        """The status bar's one line of truth: the run going on, else whether and why not the graph can train."""
        running = self.training.status_text()
        readiness = self.training.readiness
        colour = STATUS_COLOURS["running" if running else readiness.severity]
        self.problem_status.setText(f"<span style='color:{colour}'>\u25cf</span> {running or readiness.status}")
        self.problem_status.setToolTip("" if running else readiness.reason)
        self.problems.set_empty_text(
            "No problems: this graph can be trained."
            if readiness.can_train
            else f"No problems listed. {readiness.reason}"
        )

    def _on_counts(self, counts: dict) -> None:
        self.summary.show_counts(counts)
        self.canvas.show_tooltips(counts)
        uncounted = [
            node_id
            for node_id, node in self.document.graph.nodes.items()
            if node_id not in counts and node.type_id in self.registry and self.registry.get(node.type_id).has_weights
        ]
        # a layer whose input shape is unknown has no count yet: "0 parameters" would be untrue
        total = self.summary.total_parameters()
        text = f"{total:,} parameters" if not uncounted else f"{total:,}+ parameters" if total else "Parameters: —"
        self.params_status.setText(text)
        self.params_status.setToolTip(
            f"Not counted yet (their input shape is unknown, see Problems): {', '.join(uncounted)}" if uncounted else ""
        )
        self._update_stats()

    def _on_problem_count(self, errors: int, warnings: int) -> None:
        self.problems_dock.setWindowTitle(f"Problems ({errors + warnings})" if errors or warnings else "Problems")

    def _on_loaded(self) -> None:
        self.live.run_now()
        self._on_selection([])
        QtCore.QTimer.singleShot(0, self.canvas.fit)

    def show_training_panel(self) -> None:
        """Bring the live plots and the insights to the front (a run started), but not over the Inspector
        in view (its tab is beside Insights: whoever watches a node goes on watching it train)."""
        watching = not self.inspector.panel.paused
        # the height the training panel has now: the bottom panel in view's, when it is tabbed down there
        # (a tab behind keeps reporting its old height), else its own (the user moved it elsewhere)
        at_bottom = self.dockWidgetArea(self.training_dock) == QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        front = self._front_bottom_dock() if at_bottom and not self.training_dock.isFloating() else None
        panel = front or self.training_dock
        height_now = panel.height()
        for dock in (self.training_dock, self.insights_dock):
            dock.show()
            if not (watching and dock is self.insights_dock):
                dock.raise_()
        self.training.dashboard.tabs.setCurrentIndex(0)
        wanted = min(420, int(self.height() * TRAINING_DOCK_MAX_SHARE))
        if height_now < wanted - 40:
            self.resizeDocks([panel], [wanted], QtCore.Qt.Orientation.Vertical)
        # Properties above Insights: the confusion matrix and samples take the room a form does not
        # need, but Properties keeps enough for a node's name and a few parameters (it scrolls beyond)
        column = self.properties_dock.height() + self.insights_dock.height()
        if self.insights_dock.height() < 480:
            properties = max(PROPERTIES_SHARE_MIN_H, column // 3)
            self.resizeDocks(
                [self.properties_dock, self.insights_dock],
                [properties, max(1, column - properties)],
                QtCore.Qt.Orientation.Vertical,
            )

    def _update_title(self) -> None:
        doc = self.document
        name = doc.path.name if doc.path else (doc.graph.name or "Untitled")
        self.setWindowTitle(f"{name}[*] — Netwright")
        self.setWindowModified(doc.modified)

    def _add_from_palette(self, type_id: str) -> None:
        if type_id.startswith(BLOCK_PREFIX):
            insert_from_key(self.canvas, type_id)
        else:
            self.canvas.add_node(type_id)
        self.canvas.widget.setFocus()  # keep typing on the canvas, not in the palette's filter

    def _save_block(self) -> None:
        if save_selection_block(self.canvas):
            self.palette.set_blocks(palette_entries())

    def _canvas_menu(self, pos: QtCore.QPoint) -> None:
        self.canvas_menu().popup(self.canvas.viewer.mapToGlobal(pos))

    def canvas_menu(self) -> QtWidgets.QMenu:
        """The canvas's context menu: edits of the selection, then adding and arranging."""
        menu = QtWidgets.QMenu(self)
        menu.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.canvas.selected_ids():
            menu.addActions(
                [
                    self.copy_action,
                    self.cut_action,
                    self.duplicate_action,
                    self.delete_action,
                    self.delete_reconnect_action,
                ]
            )
            menu.addSeparator()
        menu.addActions([self.add_node_action, self.paste_action])
        menu.addSeparator()
        menu.addActions([self.layout_action, self.fit_action])
        return menu

    def set_minimap(self, shown: bool) -> None:
        self.minimap.set_enabled(shown)
        self.settings.setValue(MINIMAP_KEY, shown)

    def _zoom(self, step: float) -> None:
        viewer = self.canvas.viewer
        viewer.set_zoom(max(-0.9, min(2.0, viewer.get_zoom() + step)))

    def cut(self) -> None:
        if self.canvas.copy_selected():
            self.canvas.delete_selected()

    def apply_quick_fix(self, problem: Problem) -> bool:
        """Apply the problem's fix as one undoable edit; False (said in the status bar) when it no longer fits."""
        created: list[str] = []
        label = f"Quick fix: {problem.fix.describe()}"
        # the fix button is about to be rebuilt away; focus would fall down the tab chain
        self.focus_canvas()
        try:
            self.document.edit(label, lambda g: created.extend(apply_fix(g, problem.fix)))
        except GraphError as exc:
            self.statusBar().showMessage(plain(f"Could not apply the fix: {exc}"), 6000)
            return False
        self.live.run_now()
        self.canvas.select(created or ([problem.node_id] if problem.node_id else []))
        self.statusBar().showMessage(label, 4000)
        self.focus_canvas()
        return True

    def focus_canvas(self) -> None:
        """Keyboard focus to the canvas (after adding a node, a quick fix): Tab and Delete act there."""
        self.canvas.viewer.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.files.recent_files()
        for path in recent:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.files.open_file(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent Files", self.files.clear_recent)
            reopen = self.recent_menu.addAction("Reopen the Last File at Start")
            reopen.setCheckable(True)
            reopen.setChecked(self.settings.value(REOPEN_LAST_KEY, False, type=bool))
            reopen.setStatusTip("Start with the last file you opened instead of an example")
            reopen.toggled.connect(lambda on: self.settings.setValue(REOPEN_LAST_KEY, on))
        self.recent_menu.setEnabled(bool(recent))

    def _fill_examples(self) -> None:
        """Examples grouped by family, in learning-path order."""
        self.examples_menu.clear()
        self.examples_menu.setToolTipsVisible(True)
        examples = example_files()
        for index, (family, paths) in enumerate(grouped_examples(examples)):
            if index:
                self.examples_menu.addSeparator()
            # a heading, not a choice (the Fusion style draws no text on menu sections)
            heading = self.examples_menu.addAction(family.upper())
            heading.setEnabled(False)
            heading.setData(EXAMPLE_FAMILY)
            font = heading.font()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.85)
            heading.setFont(font)
            for path in paths:
                action = self.examples_menu.addAction(example_title(path))
                summary = example_summary(path)
                action.setStatusTip(summary or str(path))
                action.setToolTip(summary or str(path))
                action.triggered.connect(lambda _checked=False, p=path: self.files.open_example(p))
        self.examples_menu.setEnabled(bool(examples))

    # -- help -------------------------------------------------------------------------------------
    def menu_actions(self) -> list[QtGui.QAction]:
        """Every action reachable from the menu bar (submenus included)."""
        found: list[QtGui.QAction] = []
        pending = [a.menu() for a in self.menuBar().actions() if a.menu()]
        while pending:
            menu = pending.pop(0)
            for action in menu.actions():
                if action.menu() is not None:
                    pending.append(action.menu())
                elif not action.isSeparator():
                    found.append(action)
        return found

    def _show_help_page(self, page: str) -> None:
        self.help.setHtml(page)
        self.help_dock.show()
        self.help_dock.raise_()

    def show_getting_started(self) -> None:
        self._show_help_page(GETTING_STARTED)

    def show_shortcuts(self) -> None:
        self._show_help_page(shortcuts_html([a.menu() for a in self.menuBar().actions() if a.menu()]))

    def _on_help_link(self, url: QtCore.QUrl) -> None:
        """Links between the help pages (`netwright:shortcuts`)."""
        pages = {
            "shortcuts": self.show_shortcuts,
            "curves": self.training.show_reading_help,
            "start": self.show_getting_started,
        }
        if url.scheme() == "netwright" and url.path() in pages:
            pages[url.path()]()

    def runs_folder(self) -> Path:
        """What Show Runs Folder opens: the graph's runs folder; before its first run, the folder it will be in."""
        folder = self.training.store().folder
        if folder.is_dir():
            return folder
        if self.document.path is not None:
            return self.document.path.parent  # no runs yet: never create an empty folder beside the user's file
        try:
            folder.mkdir(parents=True, exist_ok=True)  # the app's data folder: creating it costs the user nothing
        except OSError:
            return folder.parent if folder.parent.is_dir() else folder
        return folder

    def show_runs_folder(self) -> None:
        folder = self.runs_folder()
        self.statusBar().showMessage(f"Runs: {folder}", 10000)
        if not QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder))):
            QtWidgets.QMessageBox.information(self, "Runs folder", f"This graph's runs are kept in\n{folder}")

    def _about(self) -> None:
        QtWidgets.QMessageBox.about(
            self,
            "About Netwright",
            "<h3>Netwright</h3><p>Build deep-learning networks by wiring nodes, train them and watch them learn.</p>"
            f"<p>Qt {QtCore.qVersion()} · PySide6 {PySide6.__version__}</p>"
            "<p>Help › Getting Started takes you through a first session.</p>",
        )

    # -- lifetime -------------------------------------------------------------------------------
    def restore_layout(self) -> bool:
        """The window's size, place and docks as the last session left them; False if none saved."""
        geometry, state = self.settings.value(GEOMETRY_KEY), self.settings.value(DOCK_STATE_KEY)
        restored = isinstance(geometry, QtCore.QByteArray) and self.restoreGeometry(geometry)
        if isinstance(state, QtCore.QByteArray):
            restored = self.restoreState(state, LAYOUT_VERSION) or restored
        return bool(restored)

    def save_layout(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(DOCK_STATE_KEY, self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def startup_file(self) -> Path | None:
        """The last file when "Reopen the last file at start" is on and it still exists."""
        if not self.settings.value(REOPEN_LAST_KEY, False, type=bool):
            return None
        recent = self.files.recent_files()
        return recent[0] if recent and recent[0].is_file() else None

    def start(self, path: Path | None = None) -> None:
        """Open `path` (or the last file, if so set, or the first example), offer crash recovery, start autosave."""
        path = path or self.startup_file()
        if not self.files.offer_recovery():
            target = path or start_example()
            if target is not None:
                if path is not None:
                    self.files.load_path(target)
                else:
                    self.files.load_path(target, remember=False)
        self.files.start_autosave()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.save_layout()
        self.hide()  # gone at once for the user; what follows is cleanup
        self.shutdown(wait=False)
        event.accept()

    def shutdown(self, wait: bool = True) -> None:
        """Stop timers, the worker thread and any run; forget the recovery file (a clean exit).
        `wait=False` (quitting) does not wait for a parameter count under way."""
        self.training.shutdown()
        self.files.stop_autosave()
        self.files.discard_recovery()
        self.live.shutdown(wait)
        self.code_view.shutdown(wait)
        self.data_preview.shutdown(wait)
        self.dataset_thumbnails.shutdown(wait)


def show_shortcuts_in_tooltips(actions: list[QtGui.QAction]) -> None:
    """Every action with keys names them in its tooltip (menus show them already; toolbars do not)."""
    for action in actions:
        keys = shortcut_text(action) or action.text().partition("\t")[2]
        tip = action.toolTip() or action.text().split("\t")[0].replace("&", "")
        if keys and keys not in tip:
            action.setToolTip(f"{tip} ({keys})")
