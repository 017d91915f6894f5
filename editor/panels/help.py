"""The help pane: the selected node type's explanation, ports and parameters, from the registry."""

from __future__ import annotations

import html
import re

from PySide6 import QtWidgets

from editor import theme
from engine.registry import NodeType

WELCOME = """
<h3>Netwright</h3>
<p>Build a network by wiring nodes: data flows from a <b>Dataset</b> through layers into a
<b>loss</b>, and an <b>optimizer</b> minimizes that loss.</p>
<p>Select a node to read what it does. Drag nodes from the palette, or press <b>Tab</b> on the
canvas to search. Drag from an output port to an input port to connect.</p>
"""


def _rich(text: str) -> str:
    """Registry help uses `backticks` for code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def node_help_html(node_type: NodeType) -> str:
    color = theme.hex_color(theme.category_color(node_type.category))
    label = theme.CATEGORY_LABELS.get(node_type.category, node_type.category)
    parts = [
        f"<h3 style='margin-bottom:2px'>{html.escape(node_type.title)}</h3>",
        f"<p style='margin-top:0'><span style='color:{color}; font-weight:600'>{label}</span>"
        f" <span style='color:#8a90a0'>· {node_type.type_id}</span></p>",
        f"<p>{_rich(node_type.help)}</p>",
    ]
    for heading, ports in (("Inputs", node_type.inputs), ("Outputs", node_type.outputs)):
        if ports:
            rows = "".join(
                f"<li><code>{p.name}</code>{' (optional)' if p.optional else ''}"
                f"{' (several)' if p.multiple else ''} — {_rich(p.description)}</li>"
                for p in ports
            )
            parts.append(f"<p style='margin-bottom:0'><b>{heading}</b></p><ul style='margin-top:2px'>{rows}</ul>")
    if node_type.params:
        rows = "".join(f"<li><code>{p.name}</code> — {_rich(p.description)}</li>" for p in node_type.params)
        parts.append(f"<p style='margin-bottom:0'><b>Parameters</b></p><ul style='margin-top:2px'>{rows}</ul>")
    return "".join(parts)


class HelpPane(QtWidgets.QTextBrowser):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.document().setDefaultStyleSheet(
            "code { color: #c8d3ff; } h3 { color: #ffffff; } li { margin-bottom: 3px; } p { line-height: 130%; }"
        )
        self.document().setDocumentMargin(10)
        self.show_welcome()

    def show_welcome(self) -> None:
        self.setHtml(WELCOME)

    def show_type(self, node_type: NodeType | None) -> None:
        if node_type is None:
            self.show_welcome()
        else:
            self.setHtml(node_help_html(node_type))
