"""An experiment: which settings to sweep, how to search them, and what counts as better.

Saved with the graph (format 4, `"experiments": [...]`) and as `experiment.json` in its folder.
Plain JSON both ways; `Experiment.from_dict` checks every field against the graph it will run on.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.fileio import atomic_write_text
from engine.graph import Graph
from engine.sweeps.space import TRAINING_PREFIX, SweepSpecError, SweptParam, checked
from engine.training.plan import make_plan
from engine.training.settings_check import has_validation

STRATEGIES = ("grid", "random", "tpe")
EXPERIMENT_FILE = "experiment.json"
EXPERIMENTS_SUFFIX = ".experiments"
DEFAULT_TRIALS = 20


@dataclass
class Experiment:
    """A sweep definition. `metric` is an epoch metric (val_acc, val_loss, ...); None picks the
    validation accuracy where the graph measures one, else the validation loss."""

    name: str
    params: list[SweptParam]
    strategy: str = "tpe"
    trials: int = DEFAULT_TRIALS  # random and tpe; a grid runs each of its points once
    seed: int = 0
    metric: str | None = None
    prune: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # fields a newer Netwright wrote: kept as they are

    @property
    def targets(self) -> list[str]:
        return [p.target for p in self.params]

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the swept values, in order (SweepSpecError for a continuous range)."""
        axes = [p.grid_values() for p in self.params]
        return [dict(zip(self.targets, combo, strict=True)) for combo in itertools.product(*axes)]

    def planned_trials(self) -> int:
        return len(self.grid()) if self.strategy == "grid" else self.trials

    def metric_for(self, graph: Graph) -> tuple[str, str]:
        """(metric, direction): the epoch metric to optimise and "maximize" or "minimize"."""
        plan = make_plan(graph)
        names = plan.metric_names(has_validation(plan))
        metric = self.metric
        if metric is None:
            metric = next((m for m in ("val_acc", "val_loss") if m in names), None)
            if metric is None:
                raise SweepSpecError(
                    f"experiment {self.name!r}: the graph measures no validation metric to compare trials by; "
                    "give the dataset a val_split above 0 or name a metric"
                )
        elif metric not in names:
            raise SweepSpecError(
                f"experiment {self.name!r}: the metric {metric!r} is not measured for this graph "
                f"(available: {', '.join(names)})"
            )
        return metric, ("maximize" if metric.endswith("_acc") or "_acc_" in metric else "minimize")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "strategy": self.strategy,
            "trials": self.trials,
            "seed": self.seed,
            "metric": self.metric,
            "prune": self.prune,
            "params": [p.to_dict() for p in self.params],
        }
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out

    @classmethod
    def from_dict(cls, raw: Any, graph: Graph) -> Experiment:
        """Read and check a saved definition; SweepSpecError (one line) names what is wrong."""
        if not isinstance(raw, dict):
            raise SweepSpecError(f"an experiment should be a JSON object, found {type(raw).__name__}")
        name = raw.get("name")
        check_name(name)
        where = f"experiment {name!r}"
        strategy = raw.get("strategy", "tpe")
        if strategy not in STRATEGIES:
            raise SweepSpecError(f"{where}: strategy should be one of {', '.join(STRATEGIES)}, found {strategy!r}")
        trials, seed = raw.get("trials", DEFAULT_TRIALS), raw.get("seed", 0)
        for key, value, least in (("trials", trials, 1), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise SweepSpecError(f"{where}: {key} should be a whole number of at least {least}, found {value!r}")
        metric, prune = raw.get("metric"), raw.get("prune", False)
        if metric is not None and not isinstance(metric, str):
            raise SweepSpecError(f"{where}: metric should be a metric's name such as val_acc, found {metric!r}")
        if not isinstance(prune, bool):
            raise SweepSpecError(f"{where}: prune should be true or false, found {prune!r}")
        raw_params = raw.get("params")
        if not isinstance(raw_params, list) or not raw_params:
            raise SweepSpecError(f"{where}: sweep at least one setting (params is empty)")
        params = [checked(p, graph) for p in raw_params]
        experiment = cls(name, params, strategy, trials, seed, metric, prune)
        experiment.extra = {k: v for k, v in raw.items() if k not in experiment.to_dict()}
        experiment.check(graph)
        return experiment

    def check(self, graph: Graph) -> None:
        """What a run would refuse, refused now: duplicates, a continuous grid, an unmeasured metric."""
        seen = set()
        for target in self.targets:
            if target in seen:
                raise SweepSpecError(f"{target} is swept twice in experiment {self.name!r}")
            seen.add(target)
        if self.strategy == "grid":
            self.grid()
        self.metric_for(graph)


def check_name(name: Any) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise SweepSpecError(
            f"an experiment's name uses letters, digits, _ . and - (up to 64, it names a folder), found {name!r}"
        )


def apply_values(graph: Graph, values: dict[str, Any]) -> Graph:
    """A copy of `graph` with each `node.param` / `training.setting` set; experiments left out."""
    out = graph.copy()
    out.experiments = []
    for target, value in values.items():
        owner, _, name = target.partition(".")
        if owner == TRAINING_PREFIX:
            out.training[name] = value
        else:
            out.nodes[owner].params[name] = value
    return out


def current_values(graph: Graph, targets: list[str]) -> dict[str, Any]:
    """The graph's own value of each target (what a trial starts from before the sweep changes it)."""
    out = {}
    for target in targets:
        owner, _, name = target.partition(".")
        source = graph.training if owner == TRAINING_PREFIX else graph.nodes[owner].params
        out[target] = source.get(name)
    return out


def experiment_folder(graph_file: str | os.PathLike, name: str) -> Path:
    """The default folder: `<graph stem>.experiments/<name>/` beside the graph file."""
    path = Path(graph_file)
    return path.with_name(path.stem + EXPERIMENTS_SUFFIX) / name


def save_definition(folder: str | os.PathLike, experiment: Experiment, graph_file: str | os.PathLike) -> Path:
    path = Path(folder) / EXPERIMENT_FILE
    doc = {"graph_file": str(Path(graph_file).resolve()), "experiment": experiment.to_dict()}
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    return path


def read_definition(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The saved {"graph_file", "experiment"} of an experiment folder, or None where there is none."""
    try:
        doc = json.loads((Path(folder) / EXPERIMENT_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def store_in_graph(graph: Graph, experiment: Experiment) -> None:
    """Put `experiment` into the graph's list, replacing one of the same name."""
    doc = experiment.to_dict()
    for index, existing in enumerate(graph.experiments):
        if existing.get("name") == experiment.name:
            graph.experiments[index] = doc
            return
    graph.experiments.append(doc)
