"""What a sweep costs over training the same runs one by one, and what 2 jobs gain on this machine.

    python bench/bench_sweep.py                       # digits MLP, 5 epochs, 10 trials, 3 repeats
    python bench/bench_sweep.py --epochs 3 --trials 8 --repeats 2

Baseline ("one by one"): the same runs trained in this process, one after another, with warm
imports and data, doing what a trial does (a Trainer with the metrics writer, weights, run.json in
a runs folder, one thread) — the strongest baseline: no process start-up, no study.

Sweep: `engine.sweeps.runner.Sweep(...).run(jobs)`, a grid over the same values (worker
processes, Optuna on SQLite, trials.csv/json after each trial).

The workers' start-up (a process importing torch, then the first trial loading the data) is a
one-time cost, printed on its own; on a loaded machine it varies by tens of seconds and would
drown the per-trial figure. The per-trial figures use the study's own timestamps:
- overhead per trial: the sweep's span from the end of its first trial to the end of its last,
  divided by the trials in it, against the baseline's time per run (its first run left out too);
- 2 jobs speed-up: trials per second in the same steady span (from the moment every worker has
  finished its first trial) with jobs=2 against jobs=1.
Each figure is the median of per-repeat ratios; repeats rotate the order, and the machine's load
is printed: on a shared machine, read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.graph import load_graph, save_graph  # noqa: E402
from engine.runs import RunStore  # noqa: E402
from engine.sweeps import Experiment, apply_values, parse_param  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "mlp_digits.json"


def make_graph(folder: Path, epochs: int) -> Path:
    graph = load_graph(EXAMPLE)
    graph.training.update(epochs=epochs)
    path = folder / "mlp.json"
    save_graph(graph, path)
    return path


def experiment(graph, count: int) -> Experiment:
    """A grid of `count` runs: learning rates spread on a log scale, one width."""
    values = f"log:0.001:0.03:{count}" if count > 1 else "0.003"
    return Experiment("bench", [parse_param(f"adam.lr={values}", graph)], "grid", count)


def one_by_one(graph_file: Path, count: int, runs: Path) -> list[float]:
    """Train the grid's runs in this process, one after another, as a trial would; each run's seconds."""
    from engine.runs.record import run_record, write_record
    from engine.training import MetricsWriter
    from engine.training.checkpoint import save_weights
    from engine.training.threads import ThreadChoice, apply_threads
    from engine.training.trainer import Trainer

    graph = load_graph(graph_file)
    store = RunStore(runs)
    apply_threads(ThreadChoice(1, "bench", 0, os.cpu_count() or 1, 0.0))
    seconds = []
    for point in experiment(graph, count).grid():
        t0 = time.perf_counter()
        trial_graph = apply_values(graph, point)
        folder = store.new_run()
        trainer = Trainer(trial_graph, callbacks=[MetricsWriter(folder / "metrics.jsonl")])
        result = trainer.fit()
        save_weights(trainer.modules, folder / "weights.safetensors", {"graph_hash": trainer.graph_hash})
        write_record(folder, run_record(trial_graph, trainer, result.status, None, time.perf_counter() - t0))
        seconds.append(time.perf_counter() - t0)
    return seconds


def sweep(graph_file: Path, count: int, jobs: int, out: Path) -> dict[str, float]:
    """Run the grid as a sweep; its start-up and its steady span, from the study's timestamps."""
    import optuna

    from engine.sweeps.runner import Sweep
    from engine.sweeps.study import default_storage

    graph = load_graph(graph_file)
    started = time.time()
    summary = Sweep(graph, graph_file, experiment(graph, count), out).run(jobs=jobs)
    assert summary.counts == {"complete": count}, summary.counts
    trials = optuna.load_study(study_name="bench", storage=default_storage(out)).get_trials()
    ends = sorted(t.datetime_complete.timestamp() for t in trials)
    # every worker's first trial pays for loading the data: the steady span starts when the last of them ends
    firsts = sorted(ends[:jobs])
    steady_from = firsts[-1]
    steady = [e for e in ends if e > steady_from]
    return {
        "startup": min(t.datetime_start.timestamp() for t in trials) - started,
        "first_trial": ends[0] - min(t.datetime_start.timestamp() for t in trials),
        "per_trial": (ends[-1] - steady_from) / len(steady),
        "throughput": len(steady) / (ends[-1] - steady_from),
        "wall": time.time() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch  # noqa: F401 - warm: the baseline should not pay for imports

    import engine.training.trainer  # noqa: F401

    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    graph_file = make_graph(work, args.epochs)
    one_by_one(graph_file, 1, work / "warm.runs")  # data and code paths warm
    print(f"digits MLP, {args.epochs} epochs per trial, {args.trials} trials; {os.cpu_count()} cores")
    variants = {
        "one_by_one": lambda i: one_by_one(graph_file, args.trials, work / f"b{i}.runs"),
        "sweep_1job": lambda i: sweep(graph_file, args.trials, 1, work / f"s{i}"),
        "sweep_2jobs": lambda i: sweep(graph_file, args.trials, 2, work / f"j{i}"),
    }
    names = list(variants)
    overheads, speedups = [], []
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]  # rotate
        load = os.getloadavg()[0]
        t = {name: variants[name](repeat) for name in order}
        base = statistics.mean(t["one_by_one"][1:])
        one, two = t["sweep_1job"], t["sweep_2jobs"]
        overheads.append(one["per_trial"] / base - 1)
        speedups.append(two["throughput"] / one["throughput"])
        print(
            f"repeat {repeat + 1} (order {', '.join(order)}; load {load:.1f} -> {os.getloadavg()[0]:.1f}): "
            f"one by one {base:.3f} s/run; sweep 1 job {one['per_trial']:.3f} s/trial "
            f"(start-up {one['startup']:.1f} s, first trial {one['first_trial']:.1f} s, wall {one['wall']:.1f} s), "
            f"2 jobs {1 / two['throughput']:.3f} s/trial (wall {two['wall']:.1f} s)\n"
            f"  overhead per trial {overheads[-1]:+.1%}; 2 jobs speed-up {speedups[-1]:.2f}x"
        )
    print(
        f"median of {args.repeats} repeats: overhead per trial {statistics.median(overheads):+.1%} (target <= +5%), "
        f"2 jobs {statistics.median(speedups):.2f}x the trials per second of 1 job"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
