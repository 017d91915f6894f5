"""Can the graph on the canvas be trained, and what should the status bar say?

The decision is the engine's: the analysis's errors, then `make_plan` (the same plan the
trainer runs). This module only words the answer for the status bar and the Train tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from editor.richtext import plain
from engine.analysis import Analysis, Problem
from engine.graph import Graph
from engine.registry import catalog
from engine.training.errors import TrainingError
from engine.training.plan import make_plan

DATASET = "data.Dataset"


@dataclass(frozen=True)
class Readiness:
    can_train: bool
    status: str  # short, for the status bar: "Ready to train", "2 problems", "Add a Dataset node to start"
    reason: str = ""  # why it cannot train, one plain sentence (the Train button's tooltip)
    severity: str = "ok"  # ok, warning, error, empty: the colour of the status dot
    # problems whose quick fixes the Train dialog offers: with any, Train stays enabled to show them
    fixes: tuple[Problem, ...] = ()

    @property
    def train_enabled(self) -> bool:
        """Whether pressing Train does something useful: trains, or offers the fixes."""
        return self.can_train or bool(self.fixes)

    @property
    def train_tip(self) -> str:
        """Why Train will not train, for its tooltip ("" when it will)."""
        if self.can_train:
            return ""
        if self.fixes:
            return f"{self.status}: Train shows the fixes. {self.reason}"
        return f"Cannot train: {self.reason}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _with_fixes(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in problems if p.fix is not None)


def training_readiness(graph: Graph, analysis: Analysis) -> Readiness:
    """What training `graph` (analysed as `analysis`) would do right now, in words."""
    has_dataset = any(node.type_id == DATASET for node in graph.nodes.values())
    if not graph.nodes:
        return Readiness(False, "Add a Dataset node to start", "The graph is empty: add a Dataset node first.", "empty")
    errors = analysis.errors
    warnings = [p for p in analysis.problems if p.severity == "warning"]
    if not has_dataset:
        return Readiness(
            False,
            "Add a Dataset node to start",
            "Training reads its samples from a Dataset node: add one and wire the model to its x.",
            "empty",
        )
    if errors:
        more = f" (and {_count(len(errors) - 1, 'more problem')} in the Problems panel)" if len(errors) > 1 else ""
        return Readiness(
            False,
            _count(len(errors) + len(warnings), "problem"),
            plain(errors[0].message) + more,
            "error",
            _with_fixes(errors),
        )
    try:
        make_plan(graph, analysis)
    except TrainingError as exc:
        reason = plain(str(exc))
        reason = reason[len("cannot train: ") :] if reason.startswith("cannot train: ") else reason
        reason = reason[:1].upper() + reason[1:]
        registry = catalog()
        if not any(registry.get(n.type_id).role == "loss" for n in graph.nodes.values() if n.type_id in registry):
            return Readiness(False, "Add a loss to train", reason, "empty")
        # the plan fails on what the warnings describe (a loss without an optimizer): offer their fixes
        return Readiness(False, "Cannot train yet", reason, "warning", _with_fixes(warnings))
    if warnings:
        return Readiness(True, f"Ready to train · {_count(len(warnings), 'warning')}", "", "warning")
    return Readiness(True, "Ready to train")
