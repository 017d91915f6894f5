"""The Python export of a graph with the lines each node wrote: the editor's live code view reads it.

`live_source` writes exactly the text of the `python` export (`python_source`, unchanged) and
then finds, in the model's classes, the `__init__` and `forward` lines of each node: a line that
assigns `self.<name>` or a forward variable of a node (or of a block's call) belongs to that
node (to every node in that block); a line that continues a statement belongs where its first
line does. A block class shared by several equal blocks maps its lines to the nodes of each.
The model is compiled on torch's meta device, so no weights are made: the text does not depend on them.
"""

from __future__ import annotations

import re

import torch

from engine.compiler import class_name
from engine.export.block_classes import block_classes, block_layout
from engine.export.model_part import ModelPart, model_part
from engine.export.python_source import python_source, variable
from engine.export.source_map_types import SourceMap
from engine.graph import Graph
from engine.graph.grouping import nodes_in
from engine.registry import catalog

WEIGHTS_NAME = "model.safetensors"  # the name the code view shows; an export writes its own
SELF_ASSIGN = re.compile(r"^\s+self\.(\w+)\s*=[^=]")
ASSIGN = re.compile(r"^\s+([A-Za-z_][\w, ]*?)\s*=[^=]")
SELF_CALL = re.compile(r"self\.(\w+)\(")


def live_source(graph: Graph, output: str | None = None) -> SourceMap:
    """The `python` export's text of `graph` (as `netwright export --format python` writes it) with its line map.

    Raises ExportError (one line) when the graph cannot be exported as it is."""
    with torch.device("meta"):  # the layers' shapes without their weights: 2x faster on a 500-node graph
        part = model_part(graph, output)
    text = python_source(part, WEIGHTS_NAME)
    return SourceMap(text, source_lines(part, text))


def source_lines(part: ModelPart, text: str) -> dict[str, tuple[int, ...]]:
    """Node id -> the lines (0-based) of `text`, the part's Python source, that the node wrote."""
    graph = part.graph
    model_class = class_name(graph.name or "netwright")
    classes: dict[str, list[dict[str, list[str]]]] = {}  # class name -> one {variable: node ids} per scope using it
    layout = block_layout(part) if graph.blocks else None
    if layout is not None and layout.exported:
        _, names = block_classes(layout, {model_class, "TrainingNetworks"})
        names = {**names, None: model_class}
        for scope_id, scope in layout.scopes.items():
            if scope_id is None or scope_id in layout.exported:
                classes.setdefault(names[scope_id], []).append(_scope_names(graph, scope.local))
    else:
        in_model = [n for n in part.analysis.order if n in part.program._modules]
        classes[model_class] = [_scope_names(graph, {n: n for n in in_model})]
    rows = text.split("\n")
    found: dict[str, list[int]] = {}
    for name, scopes in classes.items():
        for number, target in _class_lines(rows, name):
            for scope in scopes:
                members = scope.get(target) or next((scope[w] for w in _wildcards(target) if w in scope), ())
                for node_id in members:
                    found.setdefault(node_id, []).append(number)
    order = {n: i for i, n in enumerate(graph.nodes)}
    return {n: tuple(sorted(set(found[n]))) for n in sorted(found, key=order.__getitem__)}


def _scope_names(graph: Graph, local: dict[str, str]) -> dict[str, list[str]]:
    """Each name a scope's lines use for an item (its local name, its output variables) -> the item's nodes."""
    registry = catalog()
    names: dict[str, list[str]] = {}
    for item, name in local.items():
        if item in graph.nodes:
            members = [item]
            outputs = registry.get(graph.nodes[item].type_id).outputs if graph.nodes[item].type_id in registry else ()
            variables = {name} | {name + variable(graph, item, p.name)[len(item) :] for p in outputs}
        else:  # a block: its call's results are `<local>` or `<local>_<value>`
            members = nodes_in(graph, item)
            variables = {name, name + "_*"}
        for var in variables:
            names[var] = members
    return names


def _class_lines(rows: list[str], name: str):
    """(line number, the name the line is about) for each line of class `name` that belongs to an item."""
    try:
        start = rows.index(f"class {name}(nn.Module):")
    except ValueError:
        return
    current = None
    for number in range(start + 1, len(rows)):
        row = rows[number]
        if row and not row[0].isspace():
            return  # the class ended
        stripped = row.strip()
        if not stripped or stripped.startswith(("def ", "return ", "super().", '"""', "#")):
            current = None
            continue
        match = SELF_ASSIGN.match(row) or ASSIGN.match(row)
        if match:
            targets = [t.strip() for t in match.group(1).split(",") if t.strip()]
            current = next((t for t in targets if t != "_"), None)
        elif call := SELF_CALL.search(row):  # `_, (h_n, _) = self.lstm1(x)`: the layer it calls
            current = call.group(1)
        if current is not None:
            yield number, current


def _wildcards(name: str):
    """`res1_out` may be a result of block `res1`: the prefixes ending before a `_`, longest first, as `res1_*`."""
    parts = name.split("_")
    for i in range(len(parts) - 1, 0, -1):
        yield "_".join(parts[:i]) + "_*"
