"""Match a weights file's tensors to a graph's layers (transfer learning, importing weights).

Matching goes by structure and never guesses between equal shapes:
1. by id: a tensor keyed exactly like the graph's (`fc1.weight`) with the same shape;
2. by module path: the file's layer `layer1.0.bn2` is the graph's node `layer1_0_bn2` (how the
   PyTorch importer names a submodule's layer), and so is `layer1.layer1_0.bn2` (where the Python
   export's block classes put it); a `module.` or `_orig_mod.` prefix from DataParallel or
   torch.compile is looked through;
3. by name and shape, only where exactly one unused layer of the file has the layer's parameter
   names and shapes and no other unmatched layer of the graph has them too.
Where several layers of the graph and of the file share their shapes (a ResNet's `bn2` and
`downsample.1`), picking one by order would silently swap weights, so matching stops with a
WeightsMatchError naming them. Everything else is reported with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from engine.compiler import build_modules
from engine.graph import Graph

WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # DataParallel / DistributedDataParallel, torch.compile


class WeightsMatchError(ValueError):
    """Layers the file cannot be matched to without guessing; the message names them."""


@dataclass(frozen=True)
class Match:
    key: str  # the graph's `node_id.param`
    source: str  # the file's key
    how: str  # "id", "module path" or "name and shape"


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
    by_path = _match_by_path(pending, file_layers, tensors)
    for node_id, prefix in by_path.items():
        _take_layer(report, node_id, pending.pop(node_id), file_layers.pop(prefix), "module path", tensors, used)
    signature = {prefix: _signature(keys, tensors) for prefix, keys in file_layers.items()}
    wanted = {node_id: {p: tuple(v.shape) for p, v in params.items()} for node_id, params in pending.items()}
    ambiguous: list[str] = []
    for node_id, params in pending.items():
        candidates = [prefix for prefix, found in signature.items() if _fits(found, wanted[node_id])]
        rivals = [other for other in pending if other != node_id and wanted[other] == wanted[node_id]]
        if len(candidates) == 1 and not rivals:
            _take_layer(report, node_id, params, file_layers[candidates[0]], "name and shape", tensors, used)
            del signature[candidates[0]]
            continue
        if len(candidates) > 1 or (candidates and rivals):
            shapes = ", ".join(f"{p} {list(v)}" for p, v in wanted[node_id].items())
            ambiguous.append(
                f"{node_id} ({shapes}) could take any of {', '.join(candidates)}"
                + (f" (as could {', '.join(rivals)})" if rivals else "")
            )
            continue
        for param, value in params.items():
            report.unmatched.setdefault(
                f"{node_id}.{param}", f"no unused layer in the file has {param} of shape {list(value.shape)}"
            )
    if ambiguous:
        raise WeightsMatchError(
            f"cannot match {len(ambiguous)} layer{'s' * (len(ambiguous) != 1)} of the graph without guessing "
            "between layers of the same shapes (name the nodes after the file's layers, layer1.0.bn2 -> "
            "layer1_0_bn2, or load only some nodes): " + "; ".join(ambiguous)
        )
    report.unused = [k for k in _natural(tensors) if k not in used]
    return report


def _match_by_path(
    pending: dict[str, dict[str, torch.Tensor]], file_layers: dict[str, dict[str, str]], tensors: dict
) -> dict[str, str]:
    """Graph layer -> the file layer at the module path its id spells (`layer1_0_bn2` <- `layer1.0.bn2`)."""
    tiers: list[dict[str, list[str]]] = [{}, {}]  # node id -> file layers spelling it: as torch names it, as exported
    for prefix in file_layers:
        bare = prefix
        while bare.startswith(WRAPPER_PREFIXES):
            bare = bare.split(".", 1)[1]
        for tier, spelling in zip(tiers, _spellings(bare), strict=True):
            tier.setdefault(spelling, []).append(prefix)
    found = {}
    for node_id, params in pending.items():
        wanted = {p: tuple(v.shape) for p, v in params.items()}
        for tier in tiers:
            prefixes = tier.get(node_id, [])
            if len(prefixes) == 1 and _fits(_signature(file_layers[prefixes[0]], tensors), wanted):
                found[node_id] = prefixes[0]
                break
    return found


def _spellings(path: str) -> tuple[str, str]:
    """The node id a module path stands for, as the PyTorch importer spells it (`layer1.0.bn2` ->
    layer1_0_bn2) and as the Python export nests it: a block's attribute is its own id or its id
    without its parent's prefix (`layer1.layer1_0.bn2` and `layer1.0.bn2` -> layer1_0_bn2)."""
    parts = [re.sub(r"[^A-Za-z0-9_]", "_", part) for part in path.split(".")]
    current = parts[0]
    for part in parts[1:]:
        current = part if part.startswith(current + "_") else f"{current}_{part}"
    return "_".join(parts), current


def _signature(keys: dict[str, str], tensors: dict) -> dict[str, tuple[int, ...]]:
    return {param: tuple(tensors[key].shape) for param, key in keys.items()}


def _fits(found: dict[str, tuple[int, ...]], wanted: dict[str, tuple[int, ...]]) -> bool:
    """The file's layer has every parameter the graph's needs, with its shape."""
    return all(found.get(param) == shape for param, shape in wanted.items())


def _take_layer(
    report: WeightsReport,
    node_id: str,
    params: dict[str, torch.Tensor],
    keys: dict[str, str],
    how: str,
    tensors: dict,
    used: set[str],
) -> None:
    for param in params:
        key = f"{node_id}.{param}"
        _take(report, key, keys[param], how, tensors[keys[param]], used)
        report.unmatched.pop(key, None)


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
