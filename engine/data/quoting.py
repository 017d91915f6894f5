"""What a data error may quote from the file it read.

A dataset path can name any file (a graph from someone else can point at a key file or a
system file), and errors are shown on screen and recorded in run.json. So errors never quote
values from a file: they name the line and column instead. Column and array names are quoted
only when they look like names (short, letters, digits and a little punctuation), which the
lines of key files, password files, JSON or `key=value` settings do not.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z0-9_ .()\[\]%#/+-]{1,40}")


def quotable(text: str) -> bool:
    """True when `text` looks like a column or array name and may appear in a message."""
    return bool(_NAME.fullmatch(text)) and bool(text.strip())


def column_label(columns: list[str], index: int) -> str:
    """`column 'price'` when the name is quotable, else `column 3` (1-based)."""
    name = columns[index]
    return f"column '{name}'" if quotable(name) else f"column {index + 1}"


def names_list(names: list[str], limit: int = 20) -> str:
    """The names, comma-separated, when all are quotable; else just how many there are."""
    if names and all(quotable(n) for n in names):
        shown = ", ".join(names[:limit])
        return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
    return f"{len(names)}, names not shown"
