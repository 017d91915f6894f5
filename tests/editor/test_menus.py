"""Menus: the Examples menu as a learning path, the Help menu's pages, shortcuts everywhere."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from editor.example_path import LEARNING_PATH, MORE, grouped_examples
from editor.files import example_files, example_title
from editor.help.pages import shortcut_rows, shortcut_text
from editor.mainwindow import EXAMPLE_FAMILY


def _titles(menu: QtWidgets.QMenu) -> list[str]:
    return [a.text() for a in menu.actions()]


def test_every_shipped_example_has_a_place_on_the_learning_path():
    groups = dict(grouped_examples(example_files()))
    assert MORE not in groups, f"examples without a family: {groups.get(MORE)}"
    placed = [p.stem for paths in groups.values() for p in paths]
    assert sorted(placed) == sorted(p.stem for p in example_files())
    named = [s for _family, stems in LEARNING_PATH for s in stems]
    assert len(named) == len(set(named))


def test_examples_menu_is_grouped_and_ordered_as_a_path(window):
    actions = window.examples_menu.actions()
    headings = [a for a in actions if a.data() == EXAMPLE_FAMILY]
    assert [a.text() for a in headings] == [family.upper() for family, _ in LEARNING_PATH]
    assert not any(a.isEnabled() for a in headings)
    actions = [a for a in actions if not a.isSeparator() and a.data() != EXAMPLE_FAMILY]
    titles = [a.text() for a in actions]
    by_stem = {p.stem: example_title(p) for p in example_files()}
    assert titles[0] == by_stem["mlp_digits"]  # a newcomer starts with the simplest
    assert titles.index(by_stem["transfer_digits_base"]) < titles.index(by_stem["transfer_digits"])
    assert titles.index(by_stem["cnn_digits"]) < titles.index(by_stem["cnn_residual_digits"])
    # each says what it is about, not where the file lies
    assert all(a.statusTip() and not a.statusTip().endswith(".json") for a in actions)


def test_opening_an_example_from_the_menu(window):
    action = next(a for a in window.examples_menu.actions() if a.text() == "Digits CNN")
    action.trigger()
    assert window.document.graph.name == "Digits CNN"


def test_help_menu_has_the_five_pages(window):
    assert [t for t in _titles(window.help_menu) if t] == [
        "&Getting Started",
        "&Keyboard Shortcuts",
        "&Reading the Curves",
        "&Glossary",
        "&About Netwright",
    ]
    window.getting_started_action.trigger()
    assert "Getting started" in window.help.toPlainText()
    assert window.help_dock.isVisible()
    window.reading_curves_action.trigger()
    assert "Getting started" not in window.help.toPlainText()
    window.about_action.trigger()


def test_keyboard_shortcuts_page_lists_every_action_key(window):
    window.shortcuts_action.trigger()
    page = window.help.toPlainText()
    actions = [a for a in window.menu_actions() if shortcut_text(a)]
    assert len(actions) > 15
    for action in actions:
        for key in shortcut_text(action).split(", "):
            assert key in page, f"{action.text()}: {key} missing from the shortcuts page"
    assert "Ctrl+Del" in page and "Tab" in page
    menus = [a.menu() for a in window.menuBar().actions() if a.menu()]
    assert {row[0] for row in shortcut_rows(menus)} >= {"File", "Edit", "View", "Train", "Help"}


def test_help_links_lead_between_pages(window):
    window.show_getting_started()
    window.help.anchorClicked.emit(QtCore.QUrl("netwright:shortcuts"))
    assert "Keyboard shortcuts" in window.help.toPlainText()


def test_every_action_with_keys_shows_them(window):
    for action in window.menu_actions():
        keys = shortcut_text(action) or action.text().partition("\t")[2]
        if keys:
            assert keys in action.toolTip(), f"{action.text()!r}: tooltip {action.toolTip()!r} lacks {keys}"
    assert window.add_node_action.text().endswith("\tTab")
