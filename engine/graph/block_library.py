"""The user's block library: a folder of JSON files, one block (a `BlockTemplate`) each.

    {"kind": "netwright-block", "version": 1, "title": ..., "prefix": ..., "description": ...,
     "inputs": [["conv1.in", "add.b"]], "outputs": ["relu.out"], "graph": <a graph document>}

Files are written atomically; reading one never runs code, and the graph inside is read (and
migrated) like any graph file, so a block saved today keeps loading after format changes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from engine.fileio import atomic_write_text
from engine.graph.blocks import BlockTemplate, PortRef, template_of
from engine.graph.fileformat import GraphFileError, graph_from_document, graph_to_document
from engine.graph.model import Graph, node_id_problem

LIBRARY_KIND = "netwright-block"
LIBRARY_VERSION = 1


class BlockLibraryError(ValueError):
    """A library file that cannot be read or written; one line naming the file."""


def save_to_library(graph: Graph, block_id: str, folder: str | os.PathLike, name: str | None = None) -> Path:
    """Write block `block_id` as `<folder>/<name>.json` (atomically); returns the file."""
    template = template_of(graph, block_id)
    name = name or template.title
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or block_id
    path = Path(folder) / f"{stem}.json"
    doc = {
        "kind": LIBRARY_KIND,
        "version": LIBRARY_VERSION,
        "title": template.title,
        "prefix": template.prefix,
        "description": template.description,
        "inputs": [[f"{n}.{p}" for n, p in group] for group in template.inputs],
        "outputs": [f"{n}.{p}" for n, p in template.outputs],
        "graph": graph_to_document(template.graph),
    }
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise BlockLibraryError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def load_library_block(path: str | os.PathLike) -> BlockTemplate:
    """Read one library file; a damaged or foreign file raises BlockLibraryError naming it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BlockLibraryError(f"{path}: not a readable block file ({_reason(exc)})") from None
    if not isinstance(doc, dict) or doc.get("kind") != LIBRARY_KIND:
        raise BlockLibraryError(f'{path}: not a Netwright block file (no "kind": "{LIBRARY_KIND}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > LIBRARY_VERSION:
        raise BlockLibraryError(f"{path}: block file version {version!r}; this Netwright reads up to {LIBRARY_VERSION}")
    try:
        graph = graph_from_document(doc.get("graph"))
        inputs = [[_port(text, graph) for text in group] for group in _list(doc, "inputs")]
        outputs = [_port(text, graph) for text in _list(doc, "outputs")]
    except (GraphFileError, BlockLibraryError, TypeError) as exc:
        raise BlockLibraryError(f"{path}: {exc}") from None
    title = doc.get("title") if isinstance(doc.get("title"), str) else path.stem
    prefix = doc.get("prefix") if isinstance(doc.get("prefix"), str) and not node_id_problem(doc["prefix"]) else "block"
    description = doc.get("description") if isinstance(doc.get("description"), str) else ""
    return BlockTemplate(title, graph, inputs, outputs, prefix, description)


def library_blocks(folder: str | os.PathLike) -> tuple[dict[str, BlockTemplate], list[str]]:
    """Every block file in `folder` by file stem, and one line per file that could not be read."""
    found: dict[str, BlockTemplate] = {}
    problems: list[str] = []
    folder = Path(folder)
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.json")):
        try:
            found[path.stem] = load_library_block(path)
        except BlockLibraryError as exc:
            problems.append(str(exc))
    return found, problems


def _list(doc: dict, key: str) -> list:
    value = doc.get(key)
    if not isinstance(value, list):
        raise BlockLibraryError(f"{key!r} should be a list")
    return value


def _port(text: Any, graph: Graph) -> PortRef:
    if not isinstance(text, str) or text.count(".") != 1:
        raise BlockLibraryError(f'a port should be written "node.port", found {text!r}')
    node_id, port = text.split(".")
    if node_id not in graph.nodes:
        raise BlockLibraryError(f"the port {text!r} names a node that is not in the block")
    return node_id, port


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return f"not valid JSON: {exc}"
