"""The Lessons menu, the Lesson pane and Help > Glossary in the main window."""

from __future__ import annotations

import re

import torch
from PySide6 import QtCore

from editor.lessons import VIEW_NAMES, glossary_html, lesson_html
from engine.lessons import LESSONS
from engine.lessons.glossary import glossary_entries


def test_lessons_menu_lists_every_lesson_in_order_before_help(window):
    titles = [a.text() for a in window.lessons.menu.actions()]
    assert titles == [f"{lesson.number}. {lesson.title}" for lesson in LESSONS]
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("&Lessons") == menus.index("&Help") - 1
    assert "&Glossary" in [a.text() for a in window.help_menu.actions()]


def test_opening_a_lesson_opens_its_first_graph_and_shows_its_text(window):
    window.lessons.menu.actions()[0].trigger()
    assert window.document.graph.name.startswith("Overfitting")
    assert window.document.path is None  # an untitled copy, like an example: Save never overwrites it
    assert window.document.graph.description.startswith("Two hidden layers")
    text = window.lessons.pane.text.toPlainText()
    for heading in ("What to do", "What to look at", "Why it happens", "Measured here"):
        assert heading in text
    assert window.lessons.dock.isVisibleTo(window)


def test_a_graph_link_in_the_pane_opens_that_graph_of_the_lesson(window):
    window.lessons.open_lesson("overfitting")
    window.lessons.follow(QtCore.QUrl("netwright:graph/overfitting_dropout"))
    assert "drop1" in window.document.graph.nodes
    assert window.lessons.current_graph == "overfitting_dropout"
    assert "▶" in window.lessons.pane.text.toPlainText()


def test_the_optimizers_lesson_shows_the_loss_surface_with_every_path(window):
    window.lessons.open_lesson("optimizers")
    surface = window.lessons.pane.surface
    assert surface is not None and surface.isVisibleTo(window.lessons.pane)
    assert {p.name for p in surface.paths} >= {"Gradient Descent", "Momentum", "Adam"}
    window.lessons.open_lesson("overfitting")
    assert not surface.isVisibleTo(window.lessons.pane)


def test_every_link_of_the_glossary_and_the_lessons_resolves(window):
    """Every link the glossary or a lesson text shows leads somewhere in this window."""
    pages = [glossary_html(glossary_entries())]
    for lesson in LESSONS:
        window.lessons.open_lesson(lesson.slug)
        pages.append(lesson_html(lesson))
        links = re.findall(r"href='(netwright:[^']+)'", lesson_html(lesson))
        for link in links:
            assert window.lessons.resolve(QtCore.QUrl(link)) is not None, (lesson.slug, link)
    links = re.findall(r"href='(netwright:[^']+)'", pages[0])
    assert len(links) > 100
    for link in links:
        if not link.startswith("netwright:graph/"):
            assert window.lessons.resolve(QtCore.QUrl(link)) is not None, link
    assert set(window.lessons.views()) == set(VIEW_NAMES)
    assert window.lessons.resolve(QtCore.QUrl("netwright:node/layers.Nothing")) is None
    assert window.lessons.resolve(QtCore.QUrl("netwright:lesson/nothing")) is None


def test_glossary_links_act(window):
    glossary = window.lessons.show_glossary()
    window.lessons.follow(QtCore.QUrl("netwright:node/layers.Dropout"))
    assert "Dropout" in window.help.toPlainText()
    window.lessons.follow(QtCore.QUrl("netwright:view/runs"))
    assert window.training.dashboard.tabs.currentWidget() is window.training.dashboard.runs
    window.lessons.follow(QtCore.QUrl("netwright:lesson/exploding-gradients"))
    assert "Exploding" in window.lessons.pane.text.toPlainText()
    glossary.search.setText("momentum")
    assert "Momentum" in glossary.text.toPlainText() and "Dropout" not in glossary.text.toPlainText()
    glossary.close()


def test_the_losses_lesson_draws_the_points_and_the_lines_its_run_fitted(window, tmp_path):
    from safetensors.torch import save_file

    window.lessons.open_lesson("losses")
    lines = window.lessons.pane.lines
    assert lines is not None and lines.isVisibleTo(window.lessons.pane)
    assert lines.lines == [] and "train losses_outliers" in lines.notes[0]  # no run yet (an empty runs folder)
    weights = tmp_path / "weights.safetensors"
    tensors = {"mse_fit.weight": [[1.9]], "mse_fit.bias": [2.3], "huber_fit.weight": [[2.0]], "huber_fit.bias": [1.1]}
    save_file({k: torch.tensor(v) for k, v in tensors.items()}, str(weights))
    window.lessons.pane.latest_weights = lambda _file: weights
    window.lessons.open_lesson("losses")
    assert [(line.node_id, round(line.intercept, 2)) for line in lines.lines] == [("mse_fit", 2.3), ("huber_fit", 1.1)]
    assert set(lines.curves) == {"true line", "mse_fit", "huber_fit"} and not lines.notes
