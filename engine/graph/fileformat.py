"""Reading and writing graph files: versioned JSON, never code.

    {"format_version": 4, "name": ..., "description": ...,
     "nodes": [{"id": "fc1", "type": "layers.Linear", "params": {...}, "ui": {...}}],
     "edges": [{"from": "data.x", "to": "fc1.in"}],
     "blocks": [{"id": "block1", "title": ..., "nodes": ["fc1"], "blocks": [], "collapsed": true}],
     "training": {"epochs": 20, ...},
     "experiments": [{"name": "lr_sweep", "strategy": "tpe", "params": [...], ...}]}

Saving is deterministic (save -> load -> save gives the same bytes) and atomic.
See docs/graph-format.md.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
from pathlib import Path
from typing import Any

from engine.fileio import atomic_write_text
from engine.graph.grouping import structure_problems
from engine.graph.migrations import CURRENT_VERSION, migrate
from engine.graph.model import Block, Edge, Graph, Node, valid_node_id
from engine.graph.training import TRAINING_PARAMS
from engine.registry import ParamError, catalog


class GraphFileError(ValueError):
    """A graph file that cannot be read; the message is one line naming the file."""


class _DuplicateKey(ValueError):
    """A key given twice in one JSON object: JSON would silently keep only the last value."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key
        self.line: int | None = None
        self.column: int | None = None


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def _locate_duplicate(text: str, error: _DuplicateKey) -> None:
    """Find the line of the object holding the duplicate: parse again with the (slower) Python
    scanner, which sees where each object starts. Only done for a file that is refused anyway."""
    decoder = json.JSONDecoder(object_pairs_hook=_refuse_duplicate_keys)

    def parse_object(s_and_end, *args, **kwargs):
        try:
            return json.decoder.JSONObject(s_and_end, *args, **kwargs)
        except _DuplicateKey as inner:
            if inner.line is None:  # the innermost object: the one that holds the key twice
                s, end = s_and_end
                inner.line = s.count("\n", 0, end) + 1
                inner.column = end - s.rfind("\n", 0, end) - 1  # of its "{"
            raise

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _DuplicateKey as located:
        error.line, error.column = located.line, located.column
    except (ValueError, RecursionError):
        pass


def loads_graph(text: str, source: str = "<graph>") -> Graph:
    """Parse a graph document. Raises GraphFileError (one readable line) on any problem."""
    try:
        doc = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as exc:
        _locate_duplicate(text, exc)
        where = f" (in the object at line {exc.line}, column {exc.column})" if exc.line else ""
        raise GraphFileError(
            f"{source}: the key {exc.key!r} is given twice in one object{where}; "
            "JSON would silently keep only the last value: remove the one you do not mean"
        ) from None
    except json.JSONDecodeError as exc:
        raise GraphFileError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise GraphFileError(f"{source}: not valid JSON ({exc})") from None
    try:
        return graph_from_document(doc)
    except GraphFileError as exc:
        raise GraphFileError(f"{source}: {exc}") from None


def load_graph(path: str | os.PathLike) -> Graph:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GraphFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise GraphFileError(f"{path}: is a folder, not a graph file") from None
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GraphFileError(f"{path}: not a text file (graph files are UTF-8 JSON)") from None
    graph = loads_graph(text, str(path))
    graph.base_dir = path.resolve().parent
    return graph


def dumps_graph(graph: Graph) -> str:
    return json.dumps(graph_to_document(graph), indent=2, ensure_ascii=False) + "\n"


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    atomic_write_text(path, dumps_graph(graph))


# -- documents --------------------------------------------------------------------------------


def graph_to_document(graph: Graph) -> dict[str, Any]:
    registry = catalog()
    nodes = []
    for node in graph.nodes.values():
        entry: dict[str, Any] = {"id": node.id, "type": node.type_id, "params": _ordered_params(node, registry)}
        if node.ui:
            entry["ui"] = node.ui
        nodes.append(entry)
    doc = {
        "format_version": CURRENT_VERSION,
        "name": graph.name,
        "description": graph.description,
        "nodes": nodes,
        "edges": [{"from": f"{e.src}.{e.src_port}", "to": f"{e.dst}.{e.dst_port}"} for e in graph.edges],
    }
    if graph.blocks:  # left out when there are none, so a graph without blocks reads as before
        doc["blocks"] = [_block_document(block) for block in graph.blocks.values()]
    doc["training"] = _ordered(graph.training, [p.name for p in TRAINING_PARAMS])
    if graph.experiments:  # left out when there are none, like blocks
        doc["experiments"] = [dict(experiment) for experiment in graph.experiments]
    return doc


def _block_document(block: Block) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": block.id,
        "title": block.title,
        "nodes": list(block.nodes),
        "blocks": list(block.blocks),
        "collapsed": block.collapsed,
    }
    if block.ui:
        entry["ui"] = block.ui
    return entry


def graph_from_document(doc: Any) -> Graph:
    if not isinstance(doc, dict):
        raise GraphFileError("a graph file holds a JSON object at the top level")
    version = _field(doc, "format_version", int, "the document")
    if isinstance(version, bool) or version < 1:
        raise GraphFileError(f"format_version must be a positive whole number, found {version!r}")
    if version > CURRENT_VERSION:
        raise GraphFileError(
            f"written by a newer Netwright (format {version}; this version reads up to {CURRENT_VERSION}): update Netwright to open it"
        )
    try:
        doc = migrate(doc, version)
    except ValueError as exc:
        raise GraphFileError(f"cannot upgrade from format {version}: {exc}") from None

    graph = Graph(
        name=_optional(doc, "name", str, ""),
        description=_optional(doc, "description", str, ""),
    )
    for index, raw in enumerate(_field(doc, "nodes", list, "the document")):
        node = _read_node(raw, index)
        if node.id in graph.nodes:
            raise GraphFileError(f"two nodes have the id {node.id!r}")
        graph.nodes[node.id] = node
    seen: set[Edge] = set()
    for index, raw in enumerate(_field(doc, "edges", list, "the document")):
        edge = _read_edge(raw, index)
        for node_id in (edge.src, edge.dst):
            if node_id not in graph.nodes:
                raise GraphFileError(f"edge {index + 1} ({edge}) refers to a node {node_id!r} that does not exist")
        if edge in seen:
            raise GraphFileError(f"edge {index + 1} ({edge}) appears twice")
        seen.add(edge)
        graph.edges.append(edge)
    for index, raw in enumerate(_optional(doc, "blocks", list, [])):
        block = _read_block(raw, index)
        if block.id in graph.blocks:
            raise GraphFileError(f"two blocks have the id {block.id!r}")
        graph.blocks[block.id] = block
    if problems := structure_problems(graph):
        raise GraphFileError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    graph.training = _read_training(_optional(doc, "training", dict, {}))
    graph.experiments = _read_experiments(_optional(doc, "experiments", list, []))
    return graph


def _read_experiments(raw: list) -> list[dict[str, Any]]:
    """Experiments (sweep definitions) are kept as written; engine.sweeps checks their contents when
    one is run, against the graph as it is then, so a renamed node is reported, never dropped."""
    names: set[str] = set()
    for index, experiment in enumerate(raw):
        where = f"experiment {index + 1}"
        if not isinstance(experiment, dict):
            raise GraphFileError(f"{where} should be an object, found {type(experiment).__name__}")
        name = _field(experiment, "name", str, where)
        if name in names:
            raise GraphFileError(f"two experiments are named {name!r}")
        names.add(name)
    return [dict(experiment) for experiment in raw]


def _read_block(raw: Any, index: int) -> Block:
    where = f"block {index + 1}"
    if not isinstance(raw, dict):
        raise GraphFileError(f"{where} should be an object, found {type(raw).__name__}")
    block_id = _field(raw, "id", str, where)
    where = f"block {block_id!r}"
    members = {}
    for key in ("nodes", "blocks"):
        members[key] = _optional(raw, key, list, [], where)
        if not all(isinstance(item, str) for item in members[key]):
            raise GraphFileError(f"{where}: {key!r} should be a list of ids")
    collapsed = _optional(raw, "collapsed", bool, True, where)
    return Block(
        block_id,
        _optional(raw, "title", str, block_id, where),
        list(members["nodes"]),
        list(members["blocks"]),
        collapsed,
        dict(_optional(raw, "ui", dict, {}, where)),
    )


def _read_node(raw: Any, index: int) -> Node:
    where = f"node {index + 1}"
    if not isinstance(raw, dict):
        raise GraphFileError(f"{where} should be an object, found {type(raw).__name__}")
    node_id = _field(raw, "id", str, where)
    where = f"node {node_id!r}"
    if not valid_node_id(node_id):
        raise GraphFileError(f"{where}: ids use letters, digits and _ and do not start with a digit")
    type_id = _field(raw, "type", str, where)
    params = _optional(raw, "params", dict, {}, where)
    ui = _optional(raw, "ui", dict, {}, where)
    registry = catalog()
    current = registry.resolve(type_id)
    if current is None:  # kept as written; validation reports it on the node
        return Node(node_id, type_id, dict(params), dict(ui))
    node_type = registry.get(current)
    canonical: dict[str, Any] = {}
    for param in node_type.params:
        if param.name in params:
            try:
                canonical[param.name] = param.check(params[param.name])
            except ParamError:  # kept as written so nothing is lost; validation reports it
                canonical[param.name] = params[param.name]
        else:
            canonical[param.name] = param.default if not isinstance(param.default, list) else list(param.default)
    for name, value in params.items():
        canonical.setdefault(name, value)
    return Node(node_id, current, canonical, dict(ui))


def _read_edge(raw: Any, index: int) -> Edge:
    where = f"edge {index + 1}"
    if not isinstance(raw, dict):
        raise GraphFileError(f'{where} should be an object like {{"from": "data.x", "to": "fc1.in"}}')
    ends = []
    for key in ("from", "to"):
        value = _field(raw, key, str, where)
        node, dot, port = value.partition(".")
        if not dot or not node or not port or "." in port:
            raise GraphFileError(f'{where}: {key!r} should be "node.port", found {value!r}')
        ends.extend((node, port))
    return Edge(*ends)


def _read_training(raw: dict) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for param in TRAINING_PARAMS:
        if param.name in raw:
            try:
                settings[param.name] = param.check(raw[param.name])
            except ParamError:
                settings[param.name] = raw[param.name]
        else:
            settings[param.name] = param.default
    for name, value in raw.items():
        settings.setdefault(name, value)
    return settings


def _ordered_params(node: Node, registry) -> dict[str, Any]:
    if node.type_id not in registry:
        return dict(node.params)
    return _ordered(node.params, [p.name for p in registry.get(node.type_id).params])


def _ordered(values: dict[str, Any], order: list[str]) -> dict[str, Any]:
    out = {name: values[name] for name in order if name in values}
    out.update((k, v) for k, v in values.items() if k not in out)
    return out


def _field(doc: dict, key: str, kind: type, where: str) -> Any:
    if key not in doc:
        raise GraphFileError(f"{where} is missing the required field {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GraphFileError(f"{where}: {key!r} should be {_kind_name(kind)}, found {type(value).__name__}")
    return value


def _optional(doc: dict, key: str, kind: type, default: Any, where: str = "the document") -> Any:
    if key not in doc:
        return default
    return _field(doc, key, kind, where)


def _kind_name(kind: type) -> str:
    return {str: "text", int: "a whole number", list: "a list", dict: "an object", bool: "true or false"}[kind]
