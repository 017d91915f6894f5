"""Engine messages as a user reads them: `code` spans drawn as code, everything else escaped.

The engine marks node ids, ports and values with backticks. Every place the editor shows such a
message (Problems panel, tooltips, dialogs, property summaries) goes through `rich` (Qt rich
text) or `plain` (plain-text places such as buttons and the status bar), so a user never sees a
raw backtick or an HTML entity like `&#x27;`.
"""

from __future__ import annotations

import re

CODE_SPAN = re.compile(r"`([^`\n]+)`")
CODE_STYLE = "color:#c8d3ff; font-family:monospace"


def _escape(text: str) -> str:
    # Qt rich text understands these four; html.escape's &#x27; for a quote shows up literally
    # in some Qt widgets (tooltips on older styles), so quotes are left as they are.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str) -> str:
    """`text` as a piece of Qt rich text to put inside other markup: code spans styled, the rest escaped."""
    parts: list[str] = []
    last = 0
    for match in CODE_SPAN.finditer(text):
        parts.append(_escape(text[last : match.start()]))
        parts.append(f"<span style='{CODE_STYLE}'>{_escape(match.group(1))}</span>")
        last = match.end()
    parts.append(_escape(text[last:]))
    return "".join(parts).replace("`", "").replace("\n", "<br>")  # an unmatched backtick is noise


def rich(text: str) -> str:
    """`text` as a whole Qt rich-text document (a label, tooltip or dialog detects it as rich)."""
    return f"<qt>{inline(text)}</qt>"


def plain(text: str) -> str:
    """`text` for a plain-text place: code spans lose their backticks."""
    return CODE_SPAN.sub(r"\1", text).replace("`", "")
