"""What hovering a node or a port on the canvas says, from the engine's analysis.

A port: its name, what it takes and the shape on it now. A node with problems: the problems.
A healthy node: its type, output shape and parameter count.
"""

from __future__ import annotations

import re
from html import escape

from editor.richtext import inline
from engine.analysis import Analysis
from engine.graph import Graph
from engine.registry import NodeType

SHAPE_IN_HELP = re.compile(r"\[B(?:, [^\[\]]+)*\]")
GENERIC = {"input tensor", "output tensor"}
DIM = "color:#8a90a0"


def _expects(node_type: NodeType, description: str) -> str:
    """The port's own description, or (for a generic one) the shape the type's help names."""
    if description and description not in GENERIC:
        return description
    match = SHAPE_IN_HELP.search(node_type.help)
    return f"a tensor {match.group(0)}" if match else "a tensor (any shape with a batch dimension)"


def port_tooltip(graph: Graph, analysis: Analysis, node_type: NodeType, node_id: str, port: str, output: bool) -> str:
    spec_of = analysis.specs.get
    if output:
        info = node_type.output_port(port)
        lines = [f"<b>{escape(port)}</b> <span style='{DIM}'>output</span>"]
        lines.append(f"Gives {escape(_expects(node_type, info.description if info else ''))}")
        spec = spec_of((node_id, port))
        lines.append(
            f"Shape now: <b>{escape(str(spec))}</b>" if spec is not None else "Shape now: unknown (see Problems)"
        )
        targets = [f"{e.dst}.{e.dst_port}" for e in graph.edges_out_of(node_id) if e.src_port == port]
        if targets:
            lines.append(f"<span style='{DIM}'>to {escape(', '.join(targets))}</span>")
        return "<br>".join(lines)
    info = node_type.input_port(port)
    kind = "optional input" if info and info.optional else "takes several" if info and info.multiple else "input"
    lines = [f"<b>{escape(port)}</b> <span style='{DIM}'>{kind}</span>"]
    lines.append(f"Expects {escape(_expects(node_type, info.description if info else ''))}")
    sources = [e for e in graph.edges_into(node_id) if e.dst_port == port]
    if not sources:
        lines.append("Not connected" + ("" if info and (info.optional or info.multiple) else " (required)"))
    for edge in sources:
        spec = spec_of((edge.src, edge.src_port))
        shape = escape(str(spec)) if spec is not None else "unknown"
        lines.append(f"Gets <b>{shape}</b> <span style='{DIM}'>from {escape(edge.src)}.{escape(edge.src_port)}</span>")
    return "<br>".join(lines)


def node_tooltip(
    node_type: NodeType | None, node_id: str, analysis: Analysis, count: int | None, type_id: str = ""
) -> str:
    """Problems first; a healthy node says what it outputs and how many parameters it has."""
    problems = analysis.problems_of(node_id)
    if problems:
        rank = {"error": 0, "warning": 1, "info": 2}
        items = "".join(f"<li>{inline(p.message)}</li>" for p in sorted(problems, key=lambda p: rank[p.severity]))
        return f"<ul style='margin-left:-20px'>{items}</ul>"
    title = escape(node_type.title if node_type else f"Unknown type {type_id}")
    lines = [f"<b>{title}</b> <span style='{DIM}'>{escape(node_id)}</span>"]
    if node_type is not None:
        shapes = [
            f"{escape(p.name)} {escape(str(s))}" if len(node_type.outputs) > 1 else escape(str(s))
            for p in node_type.outputs
            if (s := analysis.specs.get((node_id, p.name))) is not None
        ]
        if shapes:
            lines.append("Output: " + ", ".join(shapes))
        if node_type.has_weights and count is not None:
            lines.append(f"{count:,} parameters")
        lines.append(f"<span style='{DIM}'>{inline(node_type.summary)}</span>")
    return "<br>".join(lines)
