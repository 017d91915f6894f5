"""Match a weights file's tensors to a graph's layers (transfer learning, importing weights).

First by id: a tensor keyed exactly like the graph's (`fc1.weight`) with the same shape.
Then by name and shape: a layer still without weights takes the first unused layer of the
file (in the file's natural key order, `features.2` before `features.10`) whose parameter
names and shapes are the same as its own, so a weight and its bias always come from one
layer. Everything else is reported with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from engine.compiler import build_modules
from engine.graph import Graph


@dataclass(frozen=True)
class Match:
    key: str  # the graph's `node_id.param`
    source: str  # the file's key
    how: str  # "id" or "name and shape"


@dataclass
class WeightsReport:
    """What matched, what did not and why, and which tensors of the file were left unused."""

    matched: list[Match] = field(default_factory=list)
    unmatched: dict[str, str] = field(default_factory=dict)  # graph key -> reason
    unused: list[str] = field(default_factory=list)  # file keys no layer took
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)  # the graph's full state, matched ones replaced

    def lines(self) -> list[str]:
        out = [f"matched {len(self.matched)} of {len(self.matched) + len(self.unmatched)} tensors"]
        out += [f"  {m.key} <- {m.source} (by {m.how})" for m in self.matched]
        if self.unmatched:
            out.append(f"not matched ({len(self.unmatched)}), kept at their initial values:")
            out += [f"  {key}: {why}" for key, why in self.unmatched.items()]
        if self.unused:
            out.append(f"unused in the file ({len(self.unused)}): {', '.join(self.unused)}")
        return out


def match_weights(
    graph: Graph, tensors: dict[str, torch.Tensor], seed: int = 0, only: set[str] | None = None
) -> WeightsReport:
    """Match `tensors` (a state_dict) to `graph`'s layers; unmatched ones keep fresh initial values.

    With `only`, just those nodes take weights (e.g. a pretrained feature extractor but a new
    head); the others are reported as not asked for."""
    torch.manual_seed(seed)
    modules = build_modules(graph)
    state = {k: v.detach().clone() for k, v in modules.state_dict().items()}
    report = WeightsReport(tensors=state)
    used: set[str] = set()
    layers: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        node_id, param = key.rsplit(".", 1)
        layers.setdefault(node_id, {})[param] = value
    pending: dict[str, dict[str, torch.Tensor]] = {}  # layers not matched by id
    for node_id, params in layers.items():
        keys = {param: f"{node_id}.{param}" for param in params}
        if only is not None and node_id not in only:
            for key in keys.values():
                report.unmatched[key] = "not asked for (not among the nodes to load)"
            continue
        if all(k in tensors and tuple(tensors[k].shape) == tuple(params[p].shape) for p, k in keys.items()):
            for key in keys.values():
                _take(report, key, key, "id", tensors[key], used)
            continue
        pending[node_id] = params
        for param, key in keys.items():
            if key in tensors and tuple(tensors[key].shape) != tuple(params[param].shape):
                report.unmatched[key] = (
                    f"the file's {key} has shape {list(tensors[key].shape)}, the graph needs "
                    f"{list(params[param].shape)}"
                )
    file_layers = _layers(k for k in tensors if k not in used)
    for node_id, params in pending.items():
        wanted = {p: tuple(v.shape) for p, v in params.items()}
        candidate = next(
            (
                prefix
                for prefix, keys in file_layers.items()
                if {p: tuple(tensors[k].shape) for p, k in keys.items() if p in wanted} == wanted
                and not any(k in used for k in keys.values())
            ),
            None,
        )
        if candidate is None:
            for param, value in params.items():
                report.unmatched.setdefault(
                    f"{node_id}.{param}", f"no unused layer in the file has {param} of shape {list(value.shape)}"
                )
            continue
        for param in params:
            source_key = file_layers[candidate][param]
            _take(report, f"{node_id}.{param}", source_key, "name and shape", tensors[source_key], used)
            report.unmatched.pop(f"{node_id}.{param}", None)
    report.unused = [k for k in _natural(tensors) if k not in used]
    return report


def _take(report: WeightsReport, key: str, source_key: str, how: str, value: torch.Tensor, used: set[str]) -> None:
    report.tensors[key] = value.detach().clone().to(report.tensors[key].dtype)
    report.matched.append(Match(key, source_key, how))
    used.add(source_key)


def _layers(keys) -> dict[str, dict[str, str]]:
    """File keys grouped by layer prefix, in natural order: {'features.0': {'weight': 'features.0.weight'}}."""
    layers: dict[str, dict[str, str]] = {}
    for key in _natural(keys):
        prefix, _, param = key.rpartition(".")
        layers.setdefault(prefix, {})[param] = key
    return layers


def _natural(keys) -> list[str]:
    return sorted(keys, key=lambda k: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", k)])
