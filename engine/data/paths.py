"""Where a dataset path points: the one rule every consumer (validate, summary, train, the editor) follows.

A path written in a graph file is read relative to the folder that holds the graph file
(docs/graph-format.md), never relative to the current directory, so the file that validation
checked is the file training reads wherever the command runs. `~` means the home folder. A
graph that has no file yet (an unsaved editor graph, one built in Python) has no folder: its
relative paths are read from the current directory, as Python's own `open` would.
"""

from __future__ import annotations

import os
from pathlib import Path


def resolve_data_path(text: str, base_dir: str | os.PathLike | None) -> Path:
    """The file or folder a dataset path names: `~` expanded, relative paths joined to `base_dir`."""
    path = Path(os.path.expanduser(text.strip()))
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return path
