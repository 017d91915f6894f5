"""What differs between two runs: training settings, dataset, nodes, parameters and edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Settings that change how a run was made but not what it learns; listed last.
RUNTIME_KEYS = ("device",)


@dataclass
class RunDiff:
    settings: list[tuple[str, Any, Any]] = field(default_factory=list)  # (key, in a, in b)
    params: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # (node, param, a, b)
    nodes_only_a: list[str] = field(default_factory=list)  # "id (type)"
    nodes_only_b: list[str] = field(default_factory=list)
    edges_only_a: list[str] = field(default_factory=list)  # "src.port -> dst.port"
    edges_only_b: list[str] = field(default_factory=list)
    other: list[tuple[str, Any, Any]] = field(default_factory=list)  # seed, device, data, started from

    @property
    def empty(self) -> bool:
        return not (
            self.settings
            or self.params
            or self.nodes_only_a
            or self.nodes_only_b
            or self.edges_only_a
            or self.edges_only_b
            or self.other
        )

    def lines(self) -> list[str]:
        """One readable line per difference (`a` first, then `b`)."""
        out = [f"{key}: {_fmt(a)} → {_fmt(b)}" for key, a, b in self.settings]
        out += [f"{node}.{param}: {_fmt(a)} → {_fmt(b)}" for node, param, a, b in self.params]
        out += [f"node {n} only in the first run" for n in self.nodes_only_a]
        out += [f"node {n} only in the second run" for n in self.nodes_only_b]
        out += [f"edge {e} only in the first run" for e in self.edges_only_a]
        out += [f"edge {e} only in the second run" for e in self.edges_only_b]
        out += [f"{key}: {_fmt(a)} → {_fmt(b)}" for key, a, b in self.other]
        return out


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _nodes(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    graph = record.get("graph") or {}
    return {n["id"]: n for n in graph.get("nodes", []) if isinstance(n, dict) and "id" in n}


def _edges(record: dict[str, Any]) -> set[str]:
    graph = record.get("graph") or {}
    return {f"{e.get('from')} -> {e.get('to')}" for e in graph.get("edges", []) if isinstance(e, dict)}


def diff_runs(a: dict[str, Any], b: dict[str, Any]) -> RunDiff:
    """Compare two run records (`run.json` contents)."""
    diff = RunDiff()
    sa, sb = a.get("settings") or {}, b.get("settings") or {}
    for key in sorted(set(sa) | set(sb), key=lambda k: (k in RUNTIME_KEYS, k)):
        if key in RUNTIME_KEYS or key == "seed":
            continue
        if sa.get(key) != sb.get(key):
            diff.settings.append((key, sa.get(key), sb.get(key)))
    na, nb = _nodes(a), _nodes(b)
    for node_id in sorted(set(na) & set(nb)):
        ta, tb = na[node_id].get("type"), nb[node_id].get("type")
        if ta != tb:
            diff.params.append((node_id, "type", ta, tb))
            continue
        pa, pb = na[node_id].get("params") or {}, nb[node_id].get("params") or {}
        for param in [*pa, *(k for k in pb if k not in pa)]:
            if pa.get(param) != pb.get(param):
                diff.params.append((node_id, param, pa.get(param), pb.get(param)))
    diff.nodes_only_a = [f"{n} ({na[n].get('type')})" for n in sorted(set(na) - set(nb))]
    diff.nodes_only_b = [f"{n} ({nb[n].get('type')})" for n in sorted(set(nb) - set(na))]
    ea, eb = _edges(a), _edges(b)
    diff.edges_only_a = sorted(ea - eb)
    diff.edges_only_b = sorted(eb - ea)
    for key, label in (
        ("seed", "seed"),
        ("device", "device"),
        ("data_fingerprint", "data"),
        ("init_weights", "started from"),
    ):
        va, vb = a.get(key), b.get(key)
        if va != vb:
            if key == "data_fingerprint":
                va, vb = (str(v)[:10] if v else None for v in (va, vb))
            diff.other.append((label, va, vb))
    return diff
