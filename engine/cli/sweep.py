"""`python -m engine sweep FILE --param adam.lr=log:1e-4:1e-1 --trials 20 --jobs 2 --out DIR`: an experiment.

Each trial is an ordinary run in the graph's runs folder; DIR (default `<graph>.experiments/NAME/`)
holds experiment.json, the Optuna study (study.db unless `--storage URL`), trials.csv and
trials.json, rewritten as trials finish. `--experiment NAME` runs an experiment saved in the
graph; `--save` stores the one given here into the graph file. `--resume` continues a stopped
sweep (finished trials are kept) or joins one running elsewhere on the same storage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.cli.errors import UserError
from engine.graph import load_graph, save_graph
from engine.graph.training import TRAINING_INDEX
from engine.sweeps.experiment import STRATEGIES, Experiment, experiment_folder, read_definition, store_in_graph
from engine.sweeps.space import SweepSpecError, parse_param

EXIT_FAILED, EXIT_STOPPED = 1, 130


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="run an experiment: train the graph over a grid, random or TPE search of its settings"
    )
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="TARGET=VALUES",
        help="a setting to sweep: node.param or training.setting = a list (32,64,128), every choice (*), "
        "lin:LOW:HIGH[:STEP] or log:LOW:HIGH[:N]; repeat for more",
    )
    parser.add_argument("--experiment", help="run the experiment of this name saved in the graph")
    parser.add_argument("--name", help="name of a new experiment (default: sweep); it names the folder")
    parser.add_argument("--strategy", choices=STRATEGIES, help="grid, random or tpe (Bayesian; default)")
    parser.add_argument("--trials", type=_positive, help="trials of a random or TPE search (default 20)")
    parser.add_argument("--seed", type=_natural, help="seed of the search (trials use the graph's seed)")
    parser.add_argument("--metric", help="epoch metric to optimise (default: val_acc, else val_loss)")
    parser.add_argument("--prune", action="store_true", default=None, help="stop poor trials early (median rule)")
    parser.add_argument("--epochs", type=_positive, help="epochs of every trial (default: the graph's)")
    parser.add_argument("--jobs", type=_positive, help="trials at once (default: as many as the cores allow)")
    parser.add_argument("--out", help="experiment folder (default: <graph>.experiments/NAME)")
    parser.add_argument("--runs", help="folder of the trials' runs (default: <graph>.runs beside the graph file)")
    parser.add_argument("--storage", help="Optuna storage URL shared by several machines (default: DIR/study.db)")
    parser.add_argument("--resume", action="store_true", help="continue (or join) the experiment in DIR")
    parser.add_argument("--save", action="store_true", help="also save the experiment into the graph file")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.set_defaults(handler=run)


def experiment_from(args, graph) -> Experiment:
    """The experiment the arguments describe: saved in the graph, saved in DIR (resume) or given here."""
    base: dict[str, Any] | None = None
    if args.experiment:
        base = next((e for e in graph.experiments if e.get("name") == args.experiment), None)
        if base is None:
            names = ", ".join(e.get("name", "?") for e in graph.experiments) or "none"
            raise UserError(f"{args.file}: no experiment named {args.experiment!r} (saved: {names})")
    elif not args.param and args.resume and args.out:
        saved = read_definition(args.out)
        if saved is None:
            raise UserError(f"{args.out}: no experiment.json to resume; give the settings with --param")
        base = saved.get("experiment")
    elif not args.param:
        raise UserError("nothing to sweep: give --param TARGET=VALUES (e.g. adam.lr=log:1e-4:1e-1) or --experiment")
    doc = dict(base or {"name": "sweep"})
    if args.param:
        doc["params"] = [parse_param(text, graph).to_dict() for text in args.param]
    for key in ("name", "strategy", "trials", "seed", "metric", "prune"):
        value = getattr(args, key)
        if value is not None:
            doc[key] = value
    return Experiment.from_dict(doc, graph)


def run(args) -> int:
    from engine.sweeps.runner import Sweep

    graph = load_graph(args.file)
    try:
        experiment = experiment_from(args, graph)
        overrides = {"epochs": TRAINING_INDEX["epochs"].check(args.epochs)} if args.epochs else {}
        folder = args.out or experiment_folder(args.file, experiment.name)
        if args.save:
            store_in_graph(graph, experiment)
            save_graph(graph, args.file)
        sweep = Sweep(graph, args.file, experiment, folder, args.storage, args.resume, overrides, runs_folder=args.runs)
    except SweepSpecError as exc:
        raise UserError(str(exc)) from None
    bar = _Progress(experiment.planned_trials(), sweep.metric, enabled=args.progress)
    try:
        summary = sweep.run(jobs=args.jobs, on_change=bar.update)
    except SweepSpecError as exc:
        raise UserError(str(exc)) from None
    finally:
        bar.close()
    print(_summary_line(summary))
    best = summary.best
    if best is not None:
        values = ", ".join(f"{k}={_value(v)}" for k, v in best["params"].items())
        print(f"best: trial {best['trial']}, {summary.metric} {best['best']:.4g} with {values} (run {best['run_id']})")
    print(f"table: {summary.folder / 'trials.csv'}")
    if summary.problem:
        print(f"error: {summary.problem}; continue with --resume", file=sys.stderr)
        return EXIT_FAILED
    if summary.status == "stopped":
        print("stopped: finished trials are kept; continue with --resume", file=sys.stderr)
        return EXIT_STOPPED
    return 0 if best is not None else EXIT_FAILED


class _Progress:
    """A tqdm bar over the trials: finished ones, with the best value so far."""

    def __init__(self, total: int, metric: str, enabled: bool):
        from tqdm import tqdm

        self.metric = metric
        self.bar = tqdm(total=total, unit="trial", disable=not enabled, dynamic_ncols=True, desc="sweep")

    def update(self, rows: list[dict[str, Any]]) -> None:
        done = [r for r in rows if r["state"] in ("complete", "pruned", "failed")]
        self.bar.n = len(done)
        running = sum(r["state"] == "running" for r in rows)
        best = [r["best"] for r in rows if r["state"] == "complete" and r["best"] is not None]
        shown = {"running": running}
        if best:
            pick = max if self.metric.endswith("acc") else min
            shown[f"best {self.metric}"] = f"{pick(best):.4g}"
        self.bar.set_postfix(shown, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def _summary_line(summary) -> str:
    counts = ", ".join(f"{n} {state}" for state, n in sorted(summary.counts.items())) or "no trials"
    return f"{summary.status}: {counts}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more; got {text!r}")
    return int(text)


def _natural(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more; got {text!r}")
    return int(text)
