"""The keyboard shortcuts page in the narrow help dock (1280x720): a key chord never breaks across
lines, alternatives stand one per line, and the descriptions wrap between words, never inside one."""

from __future__ import annotations

import re

import pytest
from PySide6 import QtGui

from editor.help.pages import CANVAS_KEYS, shortcut_rows

NO_BREAK_HYPHEN = "\u2011"


def laid_out(document: QtGui.QTextDocument, width: float) -> list[tuple[str, list[str]]]:
    """(text, its lines) of every block of `document` laid out `width` pixels wide."""
    document.setTextWidth(width)
    document.size()  # lays it out
    blocks = []
    block = document.begin()
    while block.isValid():
        text, layout = block.text(), block.layout()
        lines = [layout.lineAt(i) for i in range(layout.lineCount())]
        parts = [text[line.textStart() : line.textStart() + line.textLength()] for line in lines]
        blocks.append((text, [p.replace("\u2028", "").strip() for p in parts]))
        block = block.next()
    return blocks


# about the help dock's text width at 1280x720 (platforms without X11 bind longer Redo keys:
# "Ctrl+Y, Alt+Shift+Backspace, Ctrl+Shift+Z"), and a wide one
@pytest.mark.parametrize("width", [260, 400])
def test_shortcut_keys_stay_whole_and_descriptions_wrap_between_words(window, width):
    window.shortcuts_action.trigger()
    blocks = laid_out(window.help.document().clone(), width)
    texts = [text for text, _ in blocks]
    menus = [a.menu() for a in window.menuBar().actions() if a.menu()]
    rows = [(what, keys) for _, what, keys in shortcut_rows(menus)] + [(what, keys) for keys, what in CANVAS_KEYS]
    assert any("Ctrl+Shift+Z" in keys and "Ctrl+Y" in keys for _, keys in rows)  # Redo has two
    for what, keys in rows:
        alternatives = [k.strip() for k in re.split(r", (?=\S)| / ", keys)]
        cell = "\u2028".join(alternatives)
        # the description's cell, then the keys' cell ("Train" is also a menu's heading)
        index = next(
            i for i, t in enumerate(texts[:-1]) if t == what and texts[i + 1].replace(NO_BREAK_HYPHEN, "-") == cell
        )
        _, description_lines = blocks[index]
        words = [w for line in description_lines for w in line.split()]
        assert words == what.split(), f"{what!r} broken inside a word: {description_lines}"
        _, key_lines = blocks[index + 1]
        shown = [line.replace(NO_BREAK_HYPHEN, "-") for line in key_lines]
        if all(" " not in k for k in alternatives):  # key chords: one whole chord per line
            assert shown == alternatives, f"{what}: {key_lines}"
        else:  # a gesture ("Drag from a port") may wrap between its words
            assert " ".join(shown).split() == " ".join(alternatives).split(), f"{what}: {key_lines}"
