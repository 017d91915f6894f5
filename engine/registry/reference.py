"""The node catalog as a readable reference (docs/node-catalog.md is generated from it)."""

from __future__ import annotations

from engine.registry.nodetype import NodeType
from engine.registry.params import Param
from engine.registry.registry import Registry

CATEGORY_TITLES = {
    "data": "Data",
    "layers": "Layers",
    "activations": "Activations",
    "merge": "Merge and flow",
    "losses": "Losses",
    "optimizers": "Optimizers",
}


def catalog_markdown(registry: Registry) -> str:
    lines = [
        "# Node catalog",
        "",
        "Generated from the node registry by `python -m engine nodes --markdown`; do not edit by hand.",
        "Every node type with its ports, parameters (default, allowed values) and help text.",
        "",
    ]
    for category, types in registry.by_category().items():
        lines += [f"## {CATEGORY_TITLES[category]}", ""]
        for node_type in types:
            lines += _type_section(node_type)
    return "\n".join(lines).rstrip() + "\n"


def _type_section(node_type: NodeType) -> list[str]:
    lines = [f"### {node_type.title} — `{node_type.type_id}`", "", node_type.help, ""]
    if node_type.legacy_ids:
        lines += ["Also opens files that use: " + ", ".join(f"`{i}`" for i in node_type.legacy_ids) + ".", ""]
    ports = [
        f"in `{p.name}`" + (" (optional)" if p.optional else "") + (" (several)" if p.multiple else "")
        for p in node_type.inputs
    ]
    ports += [f"out `{p.name}`" for p in node_type.outputs]
    lines += ["Ports: " + (", ".join(ports) if ports else "none") + ".", ""]
    if node_type.params:
        lines += ["| parameter | default | allowed | meaning |", "| --- | --- | --- | --- |"]
        for param in node_type.params:
            lines.append(f"| `{param.name}` | {_value(param.default)} | {allowed(param)} | {param.description} |")
        lines.append("")
    return lines


def allowed(param: Param) -> str:
    if param.kind == "choice":
        return ", ".join(f"`{c}`" for c in param.choices)
    if param.kind == "bool":
        return "true, false"
    bounds = []
    if param.minimum is not None:
        bounds.append(f">= {_number(param.minimum)}")
    if param.maximum is not None:
        bounds.append(f"<= {_number(param.maximum)}")
    kind = {
        "int": "whole number",
        "float": "number",
        "str": "text",
        "path": "file or folder",
        "ints": "list of whole numbers",
        "node_ids": "list of node ids",
    }[param.kind]
    return kind + (" " + ", ".join(bounds) if bounds else "")


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) >= 1000 else f"{value:g}"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`" if value else '""'
    return f"`{value}`"


def catalog_text(registry: Registry) -> str:
    lines = []
    for category, types in registry.by_category().items():
        lines.append(f"{CATEGORY_TITLES[category]}:")
        for node_type in types:
            lines.append(f"  {node_type.type_id:<28} {node_type.summary}")
    return "\n".join(lines) + "\n"
