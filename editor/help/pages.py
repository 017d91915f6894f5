"""The pages of the Help menu. The keyboard shortcuts page is generated from the window's menus,
so it lists exactly the keys the actions answer to."""

from __future__ import annotations

import html
import re

from PySide6 import QtGui, QtWidgets

from editor.help.getting_started import GETTING_STARTED  # noqa: F401 - the Help menu's pages live here

# Keys the canvas handles itself (no menu action carries them).
CANVAS_KEYS = (
    ("Tab", "Search for a node and add it at the cursor"),
    ("Drag from a port", "Connect an output to an input"),
    ("Alt+drag across edges", "Cut the edges crossed"),
    ("Middle-drag / Alt+left-drag", "Pan the view"),
    ("Wheel", "Zoom"),
    ("Right-click", "Edit, add and arrange nodes"),
)


KEYBOARD_KEYS = re.compile(r"^(.*\+.+|F([1-9]|1[0-2])|Del|Backspace|Tab|Esc|Return|Space|Home|End|.)$")


def shortcut_text(action: QtGui.QAction) -> str:
    """The keys of an action, as the platform writes them (`Ctrl+S`, `Del, Backspace`); keys few
    keyboards have (the X11 `Undo` key, F14), which standard shortcuts also bind, are left out."""
    native = QtGui.QKeySequence.SequenceFormat.NativeText
    keys = [s.toString(native) for s in action.shortcuts() if not s.isEmpty()]
    return ", ".join(k for k in dict.fromkeys(keys) if KEYBOARD_KEYS.match(k))


def _menu_title(menu: QtWidgets.QMenu) -> str:
    return menu.title().replace("&", "")


def _action_title(action: QtGui.QAction) -> str:
    return action.text().split("\t")[0].replace("&", "").rstrip("…").rstrip(".")


def shortcut_rows(menus: list[QtWidgets.QMenu]) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action with keys in `menus` and their submenus."""
    rows: list[tuple[str, str, str]] = []
    for menu in menus:
        for action in menu.actions():
            if action.menu() is not None:
                rows += shortcut_rows([action.menu()])
            elif keys := shortcut_text(action):
                rows.append((_menu_title(menu), _action_title(action), keys))
    return rows


def shortcuts_html(menus: list[QtWidgets.QMenu]) -> str:
    parts = ["<h3>Keyboard shortcuts</h3>"]
    current = None
    for menu, action, keys in shortcut_rows(menus):
        if menu != current:
            if current is not None:
                parts.append("</table>")
            parts.append(
                f"<p style='margin-bottom:2px'><b>{html.escape(menu)}</b></p><table width='100%' cellpadding='2'>"
            )
            current = menu
        parts.append(_row(keys, action))
    if current is not None:
        parts.append("</table>")
    parts.append("<p style='margin-bottom:2px'><b>Canvas</b></p><table width='100%' cellpadding='2'>")
    parts += [_row(keys, what) for keys, what in CANVAS_KEYS]
    parts.append("</table>")
    return "".join(parts)


def _row(keys: str, what: str) -> str:
    """What on the left (it wraps between words), the keys on the right, each alternative on a line
    of its own and a key chord never broken (Qt's rich text ignores the `nowrap` attribute but
    honours the style): "Ctrl+Shift+Z, Ctrl+Y" on one line would squeeze the description to a
    sliver in the narrow help dock. A gesture ("Drag from a port") may wrap between its words."""
    alternatives = [k.strip() for k in re.split(r", (?=\S)| / ", keys)]
    # a non-breaking hyphen keeps "Alt+left-drag" whole (not the key in "Ctrl+-")
    cell = "<br>".join(re.sub(r"(?<=\w)-(?=\w)", "\u2011", html.escape(k)) for k in alternatives)
    chords = all(" " not in k for k in alternatives)
    style = " style='white-space:nowrap'" if chords else ""
    return f"<tr><td valign='top'>{html.escape(what)}</td><td align='right' valign='top'{style}><code>{cell}</code></td></tr>"
