"""A graph saved into another folder keeps reading the same data files.

Relative `path` params are read from the folder of the graph's file (engine/data/paths.py). Saving
the graph somewhere else moves that folder, so "data/mnist" would name a different, usually
missing, folder. `rebase_data_paths` rewrites each relative path so that it names the same file
from the new folder, still relative where it can be (the pair stays movable together); absolute
and `~` paths already name one place and are left as the user wrote them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.data.paths import resolve_data_path
from engine.graph.model import Graph, path_params


@dataclass(frozen=True)
class MovedPath:
    node_id: str
    param: str
    before: str
    after: str


def rebase_data_paths(graph: Graph, new_base_dir: Path) -> list[MovedPath]:
    """Rewrite `graph`'s relative path params (in place) to name the same files from `new_base_dir`.

    The old folder is `graph.base_dir`, or the current directory for a graph that has no file yet
    (where its relative paths are read from now). Returns what changed; nothing when the folder stays.
    """
    old_base = Path(graph.base_dir) if graph.base_dir is not None else Path.cwd()
    new_base = Path(new_base_dir)
    if old_base.resolve() == new_base.resolve():
        return []
    moved: list[MovedPath] = []
    for node_id, node in graph.nodes.items():
        for name, text in path_params(node.type_id, node.params):
            written = text.strip()
            if written.startswith("~") or Path(written).is_absolute():
                continue
            target = resolve_data_path(written, old_base).resolve()
            try:
                after = Path(os.path.relpath(target, new_base.resolve())).as_posix()
            except ValueError:  # another drive (Windows): no relative path reaches it
                after = str(target)
            if after != written:
                node.params[name] = after
                moved.append(MovedPath(node_id, name, text, after))
    return moved
