"""Step-by-step upgrades of older graph files to the current format version.

Each step takes the JSON document of version N and returns one of version N + 1, so a
file of any older version is upgraded by running the steps in order. Old files live in
`tests/data/` and must keep loading.
"""

from __future__ import annotations

from collections.abc import Callable

CURRENT_VERSION = 4


def _v1_to_v2(doc: dict) -> dict:
    """Version 1 kept edges as [src, src_port, dst, dst_port] lists and the training block
    under "settings"; version 2 writes edges as readable "node.port" strings, names the block
    "training" and adds a "description"."""
    out = {k: v for k, v in doc.items() if k not in ("edges", "settings")}
    out["format_version"] = 2
    out.setdefault("description", "")
    edges = []
    for index, edge in enumerate(doc.get("edges", [])):
        if not (isinstance(edge, list) and len(edge) == 4 and all(isinstance(p, str) for p in edge)):
            raise ValueError(f"edge {index + 1} should be [src, src_port, dst, dst_port], found {edge!r}")
        edges.append({"from": f"{edge[0]}.{edge[1]}", "to": f"{edge[2]}.{edge[3]}"})
    out["edges"] = edges
    out["training"] = doc.get("settings", {})
    return out


def _v2_to_v3(doc: dict) -> dict:
    """Version 3 adds blocks (named groups of nodes, `"blocks": [...]`); a version 2 file has none."""
    out = dict(doc)
    out["format_version"] = 3
    out.setdefault("blocks", [])
    return out


def _v3_to_v4(doc: dict) -> dict:
    """Version 4 adds experiments (hyperparameter sweep definitions, `"experiments": [...]`); a version 3
    file has none."""
    out = dict(doc)
    out["format_version"] = 4
    out.setdefault("experiments", [])
    return out


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def migrate(doc: dict, version: int) -> dict:
    """Upgrade `doc` from `version` to CURRENT_VERSION, one step at a time."""
    while version < CURRENT_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    return doc
