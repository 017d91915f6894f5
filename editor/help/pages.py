"""The pages of the Help menu. The keyboard shortcuts page is generated from the window's menus,
so it lists exactly the keys the actions answer to."""

from __future__ import annotations

import html

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


def shortcut_text(action: QtGui.QAction) -> str:
    """All the keys of an action, as the platform writes them (`Ctrl+S`, `Del, Backspace`)."""
    native = QtGui.QKeySequence.SequenceFormat.NativeText
    keys = [s.toString(native) for s in action.shortcuts() if not s.isEmpty()]
    return ", ".join(dict.fromkeys(keys))


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
            parts.append(f"<p style='margin-bottom:2px'><b>{html.escape(menu)}</b></p><table cellpadding='2'>")
            current = menu
        parts.append(f"<tr><td width='150'><code>{html.escape(keys)}</code></td><td>{html.escape(action)}</td></tr>")
    if current is not None:
        parts.append("</table>")
    parts.append("<p style='margin-bottom:2px'><b>Canvas</b></p><table cellpadding='2'>")
    parts += [
        f"<tr><td width='150'><code>{html.escape(k)}</code></td><td>{html.escape(w)}</td></tr>" for k, w in CANVAS_KEYS
    ]
    parts.append("</table>")
    return "".join(parts)
