"""What every importer shares: the builder of the imported graph, its layout, the check and the save."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.analysis import analyze
from engine.graph import Graph, save_graph
from engine.graph.layout import lay_out
from engine.graph.model import ID_PREFIX, node_id_problem
from engine.registry import catalog
from engine.weights import write_weights

# An imported graph must reproduce the original within ATOL + RTOL x |original| per value, as
# numpy.allclose checks: large outputs (a ResNet-50's reach 442) differ by more than a fixed 1e-4
# between two correct runtimes, while small ones must still agree to 1e-4.
TOLERANCE = ATOL = 1e-4
RTOL = 1e-5


class ModelImportError(Exception):
    """A model that cannot be imported; the message is one line that names the parts at fault."""


@dataclass
class ImportResult:
    """An imported graph, its weights keyed `node_id.param`, and how closely it reproduces the original."""

    graph: Graph
    weights: dict[str, torch.Tensor]
    output: str
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    notes: list[str] = field(default_factory=list)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the graph file and its weights beside it (`NAME.safetensors`); returns the weights path.

        Each is written atomically, weights first: a failure leaves no graph that names missing weights.
        """
        path = Path(path)
        weights = path.with_suffix(".safetensors")
        write_weights(self.weights, weights, {"format": "netwright-weights", "graph": self.graph.name})
        save_graph(self.graph, path)
        return weights


class GraphBuilder:
    """Adds registry nodes with readable ids and collects their weights and what could not be mapped."""

    def __init__(self, name: str):
        self.graph = Graph(name=name)
        self.weights: dict[str, torch.Tensor] = {}
        self.unsupported: list[str] = []

    def node_id(self, wanted: str, type_id: str) -> str:
        """`wanted` made a valid, unused id (`features.0` -> `features_0`), or a prefix like `fc1`."""
        text = re.sub(r"[^A-Za-z0-9_]", "_", wanted or "").strip("_")
        if text and node_id_problem(text) is None and text not in self.graph.nodes:
            return text
        if text and text[0].isdigit():
            text = "n" + text
        if not text or node_id_problem(text) is not None:  # invalid, or reserved (`self`)
            class_name = type_id.rsplit(".", 1)[1]
            text = ID_PREFIX.get(class_name, class_name.lower())
        return text if text not in self.graph.nodes else self.graph.free_id(text + "_")

    def add(
        self,
        type_id: str,
        wanted: str,
        params: dict,
        inputs: list[tuple[str, str]],
        weights: dict[str, torch.Tensor] | None = None,
    ) -> str:
        """Add a node fed by `inputs` ((node id, output port) per input port, in port order)."""
        node_id = self.node_id(wanted, type_id)
        self.graph.add_node(type_id, params, node_id=node_id)
        ports = list(catalog().get(type_id).inputs)
        if ports and ports[-1].multiple and len(inputs) > len(ports):  # the rest go on a last, multiple port
            ports += [ports[-1]] * (len(inputs) - len(ports))
        for (src, src_port), port in zip(inputs, ports, strict=False):
            self.graph.connect(src, src_port, node_id, port.name)
        for key, value in (weights or {}).items():
            self.weights[f"{node_id}.{key}"] = value.detach().clone()
        return node_id

    def refuse_unsupported(self, what: str) -> None:
        if self.unsupported:
            count = len(self.unsupported)
            raise ModelImportError(
                f"cannot import {what}: {count} part{'s' * (count != 1)} "
                f"{'have' if count != 1 else 'has'} no Netwright node: " + "; ".join(self.unsupported)
            )


def layout(graph: Graph) -> None:
    """Lay the imported graph out the way the editor's Auto-layout does (positions and edge routes)."""
    lay_out(graph)


def check_graph(graph: Graph, what: str) -> None:
    """The imported graph must pass validation; a shape the registry refuses is an import error."""
    errors = analyze(graph).errors
    if errors:
        raise ModelImportError(f"cannot import {what}: the graph it maps to is not valid: {errors[0]}")


def compiled_with_weights(graph: Graph, output: str, weights: dict[str, torch.Tensor]) -> torch.nn.Module:
    from engine.compiler import compile_graph

    refuse_nonfinite_weights(graph.name, weights)
    module = compile_graph(graph, output)
    missing, unexpected = module.load_state_dict(weights, strict=False)
    if missing or unexpected:  # a mapping bug: the weights collected do not fit the built modules
        raise ModelImportError(
            f"imported weights do not fit the graph (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    return module.eval()


def refuse_nonfinite_weights(what: str, weights: dict[str, torch.Tensor]) -> None:
    """A model with NaN or infinite weights gives NaN everywhere: refuse it, naming the tensors."""
    broken = [key for key, value in weights.items() if value.is_floating_point() and not _all_finite(value)]
    if broken:
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        raise ModelImportError(
            f"cannot import {what}: weights that are not finite (NaN or infinite): {', '.join(broken[:3])}{more}"
        )


def _all_finite(value: torch.Tensor) -> bool:
    """A finite sum proves every value finite (NaN and infinities carry into it) at about a fifth of
    isfinite's cost (measured on 25M float32 weights, 2 busy cores); only a sum that is not finite,
    from a NaN, an infinity or an overflow, needs the exact check."""
    with torch.no_grad():
        if bool(torch.isfinite(value.sum())):
            return True
        return bool(value.isfinite().all())


def outputs_match(a, b, rtol: float = RTOL, atol: float = ATOL) -> tuple[bool, float, float]:
    """Whether `a` matches the reference `b` as numpy.allclose(a, b) decides, and the two figures.

    ok: every |a - b| <= atol + rtol x |b| (NaN anywhere fails). max_abs: the largest |a - b|.
    max_rel: the largest |a - b| / |b| over the values with |b| > atol (near zero only the absolute
    figure means anything), 0.0 when there are none."""
    a = torch.as_tensor(a).detach().double()
    b = torch.as_tensor(b).detach().double()
    if a.shape != b.shape:
        raise ValueError(f"outputs_match: shapes {list(a.shape)} and {list(b.shape)} differ")
    if not b.numel():
        return True, 0.0, 0.0
    diff = (a - b).abs()
    ok = bool((diff <= atol + rtol * b.abs()).all())  # False for NaN
    max_abs = float(diff.max()) if not bool(diff.isnan().any()) else float("nan")
    scaled = b.abs() > atol
    max_rel = float((diff[scaled] / b.abs()[scaled]).max()) if bool(scaled.any()) else 0.0
    if max_abs != max_abs:
        max_rel = float("nan")
    return ok, max_abs, max_rel


def checked_match(what: str, original: str, expected, got) -> tuple[float, float]:
    """The largest absolute and relative differences between `original`'s output and the imported graph's.

    Refuses an import that is not shown to reproduce the original: an original whose own output
    is not finite, and values outside ATOL + RTOL x |original| or NaN (see outputs_match)."""
    expected = torch.as_tensor(expected).detach().double()
    got = torch.as_tensor(got).detach().double()
    if not expected.numel():
        return 0.0, 0.0
    if not bool(expected.isfinite().all()):
        raise ModelImportError(
            f"cannot import {what}: {original} itself gives NaN or infinite outputs on a random input, so the "
            "imported graph cannot be checked against it"
        )
    ok, max_abs, max_rel = outputs_match(got, expected)
    if not ok:
        raise ModelImportError(
            f"cannot import {what}: the imported graph differs from {original} by {max_abs:.3g} "
            f"(max abs diff {max_abs:.3g}, max rel diff {max_rel:.3g}; allowed per value: "
            f"{ATOL:g} + {RTOL:g} x |original|)"
        )
    return max_abs, max_rel


def checked_difference(what: str, original: str, expected, got) -> float:
    """The largest absolute difference (checked_match's first figure), for callers that print one figure."""
    return checked_match(what, original, expected, got)[0]
