"""One trial: the graph with the trial's values, trained as an ordinary run in the graph's runs folder.

The run folder holds what `python -m engine train` writes (run.json, metrics.jsonl, and
weights.safetensors when it ends cleanly); run.json also names its experiment and trial, so the
Runs panel and `diff_runs` treat a trial like any other run. The trial reports each epoch's
metric to Optuna through a training Callback, which is also where a pruner stops a poor trial.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from engine.graph import Graph
from engine.runs.record import run_record, write_record
from engine.runs.store import METRICS, WEIGHTS, RunStore
from engine.sweeps.experiment import Experiment, apply_values
from engine.sweeps.study import store_outcome, suggest
from engine.training.callbacks import Callback, MetricsWriter


class TrialFailed(Exception):
    """The trial's training raised or diverged; its message is already stored on the trial."""


class TrialInterrupted(Exception):
    """The sweep was stopped while this trial trained: it is marked interrupted and runs again on resume."""


@dataclass
class TrialContext:
    """What every trial of one worker shares."""

    graph: Graph
    graph_file: str
    experiment: Experiment
    metric: str
    direction: str
    runs: RunStore
    threads: int
    control: Any = None  # a TrainingControl: the sweep's stop reaches a trial mid-epoch
    overrides: dict[str, Any] | None = None  # fixed training settings for every trial (e.g. --epochs)
    data: Any = field(default_factory=lambda: _trial_data())  # the last trial's data, for the next (data_cache)


class ReportToTrial(Callback):
    """Keeps the metric after each epoch. With pruning on, reports it to the study at once and stops
    the run when Optuna says so (the pruner compares the stored curves); without, the curve is stored
    with the trial's result in one write when it ends: a write per epoch was a database commit per
    epoch, most of what a sweep cost over the same runs one by one (bench/bench_sweep.py)."""

    def __init__(self, trial: optuna.Trial, metric: str, direction: str, prune: bool):
        self.trial, self.metric, self.prune = trial, metric, prune
        self.pick = max if direction == "maximize" else min
        self.best: float | None = None
        self.curve: dict[int, float] = {}  # epoch -> metric, not yet in the study

    def on_epoch_end(self, trainer, epoch: int, metrics: dict[str, Any]) -> None:
        value = metrics.get(self.metric)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return
        value = float(value)
        self.best = value if self.best is None else self.pick(self.best, value)
        if not self.prune:
            self.curve[epoch] = value
            return
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch}: {self.metric} {value:.4g}")


def run_trial(trial: optuna.Trial, context: TrialContext) -> float:
    """The objective: train, record the run, return the best value of the metric."""
    from engine.training.checkpoint import save_weights
    from engine.training.errors import DivergedError
    from engine.training.threads import ThreadChoice, apply_threads, training_thread_choice
    from engine.training.trainer import Trainer

    experiment = context.experiment
    values = {p.target: suggest(trial, p) for p in experiment.params}
    graph = apply_values(context.graph, values)
    graph.training.update(context.overrides or {})
    folder = context.runs.new_run()
    trial.set_user_attr("run_id", folder.name)
    reporter = ReportToTrial(trial, context.metric, context.direction, experiment.prune)
    started = time.perf_counter()
    trainer = None
    status, error, threads = "completed", None, None
    try:
        data = context.data.load(graph)  # the previous trial's, when the data settings are the same
        trainer = Trainer(
            graph, data=data, callbacks=[MetricsWriter(folder / METRICS), reporter], control=context.control
        )
        choice = training_thread_choice(trainer)
        threads = ThreadChoice(
            min(choice.threads, context.threads), "sweep", choice.work_per_step, choice.cores, choice.load
        )
        apply_threads(threads)
        result = trainer.fit()
        status = result.status
    except optuna.TrialPruned as exc:
        status, error = "pruned", str(exc)
    except DivergedError as exc:
        status, error = "diverged", str(exc)
    except Exception as exc:  # noqa: BLE001 - any error fails this trial only; the sweep goes on
        status, error = "failed", _one_line(exc)
    seconds = time.perf_counter() - started
    if trainer is not None:
        _record(folder, graph, trainer, status, error, seconds, context, trial.number, values, threads)
    else:
        _record_unbuilt(folder, graph, status, error, context, trial.number, values)
    if error is None and status != "stopped" and reporter.best is None:
        status, error = "failed", f"the run measured no finite {context.metric}"
    if error is None and trainer is not None and status in ("completed", "early_stopped"):
        save_weights(trainer.modules, folder / WEIGHTS, {"graph_hash": trainer.graph_hash})
    result = {"seconds": round(seconds, 3), "epochs": len(trainer.history) if trainer else 0, "best": reporter.best}
    if error is not None and status != "stopped":
        result["message"] = f"{status}: {error}" if status == "diverged" else error
    # one write (one database commit) for the curve and the result the table reads (engine/sweeps/study.py)
    store_outcome(trial.study, trial._trial_id, reporter.curve, {"result": result})
    if status == "stopped":
        raise TrialInterrupted("stopped")
    if status == "pruned":
        raise optuna.TrialPruned(error)
    if error is not None:
        raise TrialFailed(error)
    return reporter.best


def _trial_data():
    from engine.sweeps.data_cache import TrialData  # torch and the data sources: loaded by workers only

    return TrialData()


def _tag(context: TrialContext, number: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"name": context.experiment.name, "trial": number, "params": values, "metric": context.metric}


def _record(folder: Path, graph, trainer, status, error, seconds, context, number, values, threads) -> None:
    record = run_record(graph, trainer, status, error, seconds, graph_file=context.graph_file, threads=threads)
    record["experiment"] = _tag(context, number, values)
    write_record(folder, record)


def _record_unbuilt(folder: Path, graph, status, error, context, number, values) -> None:
    """A trial whose model or data could not even be built still leaves a run saying why."""
    import json

    from engine.graph import dumps_graph

    record = {
        "status": status,
        "error": error,
        "graph_file": context.graph_file,
        "graph": json.loads(dumps_graph(graph)),
        "settings": dict(graph.training),
        "experiment": _tag(context, number, values),
        "epochs_completed": 0,
        "seconds": 0.0,
    }
    write_record(folder, record)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    known = ("TrainingError", "DataError", "CompileError", "GraphError", "ParamError", "ShapeError")
    return text if type(exc).__name__ in known else f"{type(exc).__name__}: {text}"
