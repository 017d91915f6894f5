"""The experiment as the editor edits it: the graph's first experiment, changed through the undo stack.

Every change here is a function of a Graph (for `GraphDocument.edit`), so adding a setting,
changing its values or the strategy is one undoable step and is saved with the graph file.
"""

from __future__ import annotations

import math
from typing import Any

from engine.graph import Graph
from engine.registry.params import Param
from engine.sweeps import Experiment, SweepSpecError, parse_spec
from engine.sweeps.experiment import DEFAULT_TRIALS
from engine.sweeps.space import target_param

DEFAULT_NAME = "sweep"


def experiment_doc(graph: Graph) -> dict[str, Any] | None:
    """The experiment the panel shows: the graph's first (a graph usually has one)."""
    return graph.experiments[0] if graph.experiments else None


def ensure_experiment(graph: Graph) -> dict[str, Any]:
    doc = experiment_doc(graph)
    if doc is None:
        doc = {"name": DEFAULT_NAME, "strategy": "tpe", "trials": DEFAULT_TRIALS, "seed": 0, "prune": False}
        doc["metric"], doc["params"] = None, []
        graph.experiments.append(doc)
    doc.setdefault("params", [])
    return doc


def suggested_values(param: Param, value: Any) -> str:
    """A first set of values around the current one: every choice; a few widths around a whole number;
    a log range of two decades around a positive float."""
    if param.kind in ("choice", "bool"):
        return "*"
    if param.kind == "int" and isinstance(value, int):
        values = sorted({v for v in (value // 2, value, value * 2) if _within(param, v)})
        return ",".join(map(str, values or [value]))
    if param.kind == "float" and isinstance(value, (int, float)) and value > 0:
        low, high = _clip(param, value / 10), _clip(param, value * 10)
        if low < high and low > 0:
            return f"log:{low:g}:{high:g}"
    return _shown(value)


def add_param(graph: Graph, target: str) -> str:
    """Add `target` (node.param or training.setting) to the experiment with suggested values; returns them.
    A target already swept is left as it is."""
    doc = ensure_experiment(graph)
    for entry in doc["params"]:
        if entry.get("target") == target:
            return ""
    param = target_param(graph, target)
    owner, _, name = target.partition(".")
    current = graph.training.get(name) if owner == "training" else graph.nodes[owner].params.get(name)
    text = suggested_values(param, current)
    try:
        swept = parse_spec(target, text, graph)
    except SweepSpecError:
        swept = parse_spec(target, _shown(current), graph)
        text = swept.text()
    doc["params"].append(swept.to_dict())
    return text


def set_values(graph: Graph, target: str, text: str) -> None:
    """Replace the values of `target`; SweepSpecError (one line) when the text cannot be used."""
    doc = ensure_experiment(graph)
    swept = parse_spec(target, text, graph)
    for index, entry in enumerate(doc["params"]):
        if entry.get("target") == target:
            doc["params"][index] = swept.to_dict()
            return
    doc["params"].append(swept.to_dict())


def remove_param(graph: Graph, target: str) -> None:
    doc = ensure_experiment(graph)
    doc["params"] = [e for e in doc["params"] if e.get("target") != target]


def set_field(graph: Graph, key: str, value: Any) -> None:
    ensure_experiment(graph)[key] = value


def values_text(entry: dict[str, Any], graph: Graph) -> str:
    """The text form of a saved setting's values, or its raw JSON where it no longer fits the graph."""
    from engine.sweeps.space import checked

    try:
        return checked(entry, graph).text()
    except SweepSpecError:
        return str(entry.get("values", entry))


def checked_experiment(graph: Graph) -> Experiment:
    """The experiment, fully checked (what a run would refuse, refused now)."""
    doc = experiment_doc(graph)
    if doc is None or not doc.get("params"):
        raise SweepSpecError("nothing to sweep yet: press “sweep” beside a setting in Properties, or add one here")
    return Experiment.from_dict(doc, graph)


def sweepable_targets(graph: Graph) -> list[str]:
    """Every node parameter and training setting that can be swept, for the panel's Add list."""
    from engine.graph.training import TRAINING_PARAMS
    from engine.registry import catalog

    registry = catalog()
    targets = []
    for node in graph.nodes.values():
        if node.type_id in registry:
            targets += [f"{node.id}.{p.name}" for p in registry.get(node.type_id).params if _sweepable(p)]
    targets += [f"training.{p.name}" for p in TRAINING_PARAMS if _sweepable(p)]
    return targets


def apply_best(graph: Graph, params: dict[str, Any]) -> None:
    """Set each swept target to the best trial's value (through `GraphDocument.edit`: undoable)."""
    for target, value in params.items():
        owner, _, name = target.partition(".")
        if owner == "training":
            graph.training[name] = value
        elif owner in graph.nodes:
            graph.nodes[owner].params[name] = value


def _sweepable(param: Param) -> bool:
    return param.kind in ("int", "float", "bool", "choice")


def _within(param: Param, value: float) -> bool:
    return (param.minimum is None or value >= param.minimum) and (param.maximum is None or value <= param.maximum)


def _clip(param: Param, value: float) -> float:
    if param.minimum is not None:
        value = max(value, param.minimum)
    if param.maximum is not None:
        value = min(value, param.maximum)
    return float(f"{value:.6g}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return str(value)
