"""The Lessons menu, the Lesson pane and Help > Glossary.

Opening a lesson opens its first graph (as an untitled copy, like an example) and shows the
lesson's text in the Lesson pane: its graphs as links, what to do, what to look at, why it
happens and what was measured. A lesson with a view of its own (the optimizers' loss surface)
shows it under the text. The texts live in engine/lessons (Qt-free), shared with docs/examples.md.

Links, in the Lesson pane and the glossary, have the form `netwright:KIND/NAME`:
node/<type id> shows the node type's help, lesson/<slug> opens a lesson, graph/<file> opens one
of the open lesson's graphs, view/<name> brings a panel forward (VIEW_NAMES).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from editor.training.plots import PALETTE, Plot, color
from engine.lessons import LESSONS, Lesson, lesson_by_slug
from engine.lessons.glossary import GLOSSARY, GlossaryEntry, glossary_entries
from engine.lessons.lines import FittedLine, fitted_lines, lesson_points, true_line
from engine.lessons.surface import VALLEY_MINIMUM, optimizer_paths, surface_grid

# what view/<name> links may name: each brings one panel forward (see LessonsController.views)
VIEW_NAMES = (
    "training",
    "runs",
    "settings",
    "insights",
    "inspector",
    "problems",
    "summary",
    "curves",
    "surface",
    "properties",
)
LINK_COLOR = "#8fb0ff"  # links readable on the dark theme (a dialog's default link blue is not)
LINK = re.compile(r"\[([^\]]+)\]\(([a-z]+/[^)]+)\)")


def rich(text: str) -> str:
    """Lesson text to HTML: `code` and [label](kind/name) links."""
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))
    return LINK.sub(r"<a href='netwright:\2'>\1</a>", escaped)


def lesson_html(lesson: Lesson, current: str | None = None) -> str:
    graphs = "".join(
        f"<li>{'▶ ' if g.file == current else ''}<a href='netwright:graph/{g.file}'><code>{g.file}</code></a>"
        f" — {html.escape(g.caption)}</li>"
        for g in lesson.graphs
    )
    parts = [
        f"<h3>Lesson {lesson.number}: {html.escape(lesson.title)}</h3>",
        f"<p style='margin-bottom:0'><b>Graphs</b> (click to open)</p><ul style='margin-top:2px'>{graphs}</ul>",
    ]
    for heading, text in (
        ("What to do", lesson.do),
        ("What to look at", lesson.look),
        ("Why it happens", lesson.why),
        ("Measured here", lesson.measured),
    ):
        parts.append(f"<p style='margin-bottom:0'><b>{heading}</b></p><p style='margin-top:2px'>{rich(text)}</p>")
    if lesson.concepts:
        terms = ", ".join(f"<a href='netwright:term/{html.escape(t)}'>{html.escape(t)}</a>" for t in lesson.concepts)
        parts.append(f"<p style='color:#8a90a0'>In the glossary: {terms}</p>")
    return "".join(parts)


def glossary_html(entries: list[GlossaryEntry]) -> str:
    parts = ["<h3>Glossary</h3>"]
    for entry in entries:
        links = " · ".join(f"<a href='netwright:{target}'>{html.escape(label)}</a>" for label, target in entry.links)
        parts.append(
            f"<p><a name='{html.escape(entry.anchor)}'></a><b>{html.escape(entry.term)}</b> — {rich(entry.text)}"
            + (f"<br><span style='color:#8a90a0'>{links}</span>" if links else "")
            + "</p>"
        )
    return "".join(parts)


class SurfaceView(Plot):
    """The 2-D valley as a heat map of log loss, with each optimizer's path from the same start."""

    def __init__(self, parent=None):
        super().__init__("Loss surface: 150 steps each, distance left to ★", "y", x_label="x", parent=parent)
        self.setMinimumHeight(260)
        xs, ys, loss = surface_grid()
        image = pg.ImageItem(np.log10(loss + 1e-3))
        image.setColorMap(pg.colormap.get("viridis"))
        image.setRect(QtCore.QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))
        image.setOpacity(0.55)
        self.addItem(image)
        self.paths = optimizer_paths()
        for index, path in enumerate(self.paths):
            rgb = PALETTE[index % len(PALETTE)]
            curve = self.curve(path.name, f"{path.name} {path.final_distance:.2g}", rgb, width=2)
            curve.item.setData(path.points[:, 0], path.points[:, 1])
        star = pg.ScatterPlotItem([VALLEY_MINIMUM[0]], [VALLEY_MINIMUM[1]], symbol="star", size=16)
        star.setBrush(color((255, 255, 255)))
        self.addItem(star)
        self.setXRange(xs[0], xs[-1], padding=0)
        self.setYRange(ys[0], ys[-1], padding=0)


class LinesView(Plot):
    """The losses lesson's points, the true line and the lines its latest run fitted (MSE, Huber)."""

    def __init__(self, graph_path, latest_weights: Callable[[], object], parent=None):
        super().__init__("Points with outliers and the fitted lines", "y", x_label="x", parent=parent)
        self.setMinimumHeight(240)
        self.latest_weights = latest_weights  # () -> weights file of the newest run of the graph, or None
        from engine.graph import load_graph

        x, y = lesson_points(load_graph(graph_path))
        dots = pg.ScatterPlotItem(x, y, size=4, pen=pg.mkPen(None), brush=color((150, 160, 180), 150))
        self.addItem(dots)
        self.xs = np.array([-2.0, 2.0])
        self.lines: list[FittedLine] = []
        self._draw(true_line(), (200, 200, 200), dashed=True)
        self.refresh()

    def _draw(self, line: FittedLine, rgb, dashed: bool = False) -> None:
        name = f"{line.node_id}: y = {line.slope:.2f} x + {line.intercept:.2f}"
        curve = self.curve(line.node_id, name, rgb, width=2, dashed=dashed)
        curve.item.setData(self.xs, line.slope * self.xs + line.intercept)

    def refresh(self) -> None:
        """Draw the fits of the newest run that left weights; say what to do when there is none."""
        path = self.latest_weights()
        self.lines = fitted_lines(path) if path is not None else []
        for key in [k for k in self.curves if k != "true line"]:
            self.removeItem(self.curves.pop(key).item)
        self.legend_entries = self.legend_entries[:1]
        for index, line in enumerate(self.lines):
            self._draw(line, PALETTE[(index + 1) % len(PALETTE)])
        self.notes = [] if self.lines else ["train losses_outliers to draw the lines it fits"]
        self._show_title()


class LessonPane(QtWidgets.QWidget):
    """The open lesson's text and, where it has one, its own view."""

    link_clicked = QtCore.Signal(QtCore.QUrl)

    def __init__(self, latest_weights: Callable[[str], object] = lambda _file: None, parent=None):
        super().__init__(parent)
        self.lesson: Lesson | None = None
        self.latest_weights = latest_weights  # (lesson graph file) -> its newest run's weights, or None
        self.lines: LinesView | None = None
        self.text = QtWidgets.QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.document().setDefaultStyleSheet(
            "code { color: #c8d3ff; } h3 { color: #ffffff; } li { margin-bottom: 3px; } p { line-height: 130%; }"
            f" a {{ color: {LINK_COLOR}; }}"
        )
        self.text.document().setDocumentMargin(10)
        self.text.anchorClicked.connect(self.link_clicked)
        self.surface: SurfaceView | None = None
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.addWidget(self.text)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.text.setHtml("<p>Choose a lesson from the Lessons menu.</p>")

    def show_lesson(self, lesson: Lesson, current: str | None = None) -> None:
        self.lesson = lesson
        self.text.setHtml(lesson_html(lesson, current))
        wants_surface = lesson.view == "surface"
        if wants_surface and self.surface is None:
            self.surface = SurfaceView()
            self.splitter.addWidget(self.surface)
            self.splitter.setSizes([300, 420])
        if self.surface is not None:
            self.surface.setVisible(wants_surface)
        wants_lines = lesson.view == "lines"
        if wants_lines and self.lines is None:
            graph = next(g for g in lesson.graphs if g.file == "losses_outliers")
            self.lines = LinesView(graph.path, lambda: self.latest_weights(graph.file))
            self.splitter.addWidget(self.lines)
            self.splitter.setSizes([360, 360])
        if self.lines is not None:
            self.lines.setVisible(wants_lines)
            if wants_lines:
                self.lines.refresh()


class GlossaryDialog(QtWidgets.QDialog):
    """Help > Glossary: every term of the course and every node type, with links, filtered as you type."""

    link_clicked = QtCore.Signal(QtCore.QUrl)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Glossary")
        self.resize(560, 720)
        self.entries = glossary_entries()
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Filter terms…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.text = QtWidgets.QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.document().setDefaultStyleSheet(
            f"code {{ color: #c8d3ff; }} h3 {{ color: #ffffff; }} a {{ color: {LINK_COLOR}; }}"
        )
        self.text.anchorClicked.connect(self._clicked)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.text)
        self._filter("")

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        shown = [e for e in self.entries if not needle or needle in e.term.lower() or needle in e.text.lower()]
        self.text.setHtml(glossary_html(shown))

    def show_term(self, term: str) -> None:
        self.search.clear()
        entry = next((e for e in self.entries if e.term.lower() == term.lower()), None)
        if entry is not None:
            self.text.scrollToAnchor(entry.anchor)

    def _clicked(self, url: QtCore.QUrl) -> None:
        if url.scheme() == "netwright" and url.path().startswith("term/"):
            self.show_term(url.path()[5:])
        else:
            self.link_clicked.emit(url)


class LessonsController(QtCore.QObject):
    """Installs the Lessons menu, the Lesson pane and Help > Glossary in the main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.pane = LessonPane(self.latest_weights)
        self.pane.link_clicked.connect(self.follow)
        window.training.run_finished.connect(self._run_finished)
        self.dock = window._dock("Lesson", self.pane, "lesson")
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.help_dock, self.dock)
        self.dock.hide()
        self.menu = QtWidgets.QMenu("&Lessons", window)
        self.menu.setToolTipsVisible(True)
        for lesson in LESSONS:
            action = self.menu.addAction(f"{lesson.number}. {lesson.title}")
            action.setToolTip(f"{len(lesson.graphs)} graphs: " + "; ".join(g.caption for g in lesson.graphs))
            action.triggered.connect(lambda _checked=False, slug=lesson.slug: self.open_lesson(slug))
        window.menuBar().insertMenu(window.help_menu.menuAction(), self.menu)
        self.glossary_action = QtGui.QAction("&Glossary", window)
        self.glossary_action.setStatusTip("Every term of the course and every node type, with links to where it shows")
        self.glossary_action.triggered.connect(self.show_glossary)
        help_actions = window.help_menu.actions()
        window.help_menu.insertAction(help_actions[3] if len(help_actions) > 3 else None, self.glossary_action)
        self.glossary: GlossaryDialog | None = None
        self.current_graph: str | None = None

    # -- lessons ------------------------------------------------------------------------------
    def open_lesson(self, slug: str, graph: str | None = None) -> bool:
        """Open lesson `slug` at its first graph (or `graph`) and show its text; False if refused."""
        lesson = lesson_by_slug(slug)
        if lesson is None:
            return False
        target = next((g for g in lesson.graphs if g.file == graph), lesson.graphs[0])
        if not self.window.files.open_example(target.path):
            return False
        self.current_graph = target.file
        self.pane.show_lesson(lesson, target.file)
        first_open = not self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if first_open:  # room to read: the lesson takes most of the right column, which widens a little
            w = self.window
            w.resizeDocks([w.properties_dock, self.dock], [260, 740], QtCore.Qt.Orientation.Vertical)
            w.resizeDocks([self.dock], [470], QtCore.Qt.Orientation.Horizontal)
        return True

    def latest_weights(self, graph_file: str):
        """The weights of the newest run of a lesson graph (opened as an untitled copy, its runs are named
        after the graph), or None."""
        from engine.graph import load_graph
        from engine.lessons import LESSONS_DIR
        from engine.runs import RunStore

        graph = load_graph(LESSONS_DIR / f"{graph_file}.json")
        run = RunStore.named(self.window.training.runs_root, graph.name).latest_weights()
        return None if run is None else run.weights

    def _run_finished(self, _message: dict) -> None:
        if self.pane.lines is not None and self.pane.lines.isVisible():
            self.pane.lines.refresh()

    # -- links ---------------------------------------------------------------------------------
    def views(self) -> dict[str, Callable[[], None]]:
        w = self.window
        dashboard = w.training.dashboard

        def raise_dock(dock, tab: QtWidgets.QWidget | None = None) -> Callable[[], None]:
            def show() -> None:
                dock.show()
                dock.raise_()
                if tab is not None:
                    dashboard.tabs.setCurrentWidget(tab)

            return show

        return {
            "training": raise_dock(w.training_dock, dashboard.tabs.widget(0)),
            "runs": raise_dock(w.training_dock, dashboard.runs),
            "settings": raise_dock(w.training_dock, dashboard.settings),
            "insights": raise_dock(w.insights_dock),
            "inspector": raise_dock(w.inspector.dock),
            "problems": raise_dock(w.problems_dock),
            "summary": raise_dock(w.summary_dock),
            "properties": raise_dock(w.properties_dock),
            "curves": w.training.show_reading_help,
            "surface": lambda: self.open_lesson("optimizers"),
        }

    def resolve(self, url: QtCore.QUrl) -> Callable[[], object] | None:
        """What following `url` does, or None where it leads nowhere (the glossary's test asks every link)."""
        if url.scheme() != "netwright" or "/" not in url.path():
            return None
        kind, name = url.path().split("/", 1)
        if kind == "node":
            node_type = self.window.registry.get(name) if name in self.window.registry else None
            return None if node_type is None else lambda: self._show_node(node_type)
        if kind == "lesson":
            return None if lesson_by_slug(name) is None else lambda: self.open_lesson(name)
        if kind == "graph":
            lesson = self.pane.lesson
            if lesson is None or all(g.file != name for g in lesson.graphs):
                return None
            return lambda: self.open_lesson(lesson.slug, name)
        if kind == "view":
            return self.views().get(name)
        if kind == "term":
            return (
                None if not any(e.term.lower() == name.lower() for e in GLOSSARY) else lambda: self.show_glossary(name)
            )
        return None

    def follow(self, url: QtCore.QUrl) -> None:
        action = self.resolve(url)
        if action is not None:
            action()

    def _show_node(self, node_type) -> None:
        self.window.help.show_type(node_type)
        self.window.help_dock.show()
        self.window.help_dock.raise_()

    def show_glossary(self, term: str | None = None) -> GlossaryDialog:
        if self.glossary is None:
            self.glossary = GlossaryDialog(self.window)
            self.glossary.link_clicked.connect(self.follow)
        self.glossary.show()
        self.glossary.raise_()
        if term:
            self.glossary.show_term(term)
        return self.glossary


def install_lessons(window) -> LessonsController:
    return LessonsController(window)
