"""What a sweep costs over training the same runs one by one, and what 2 jobs gain on this machine.

    python bench/bench_sweep.py --epochs 20 --trials 6 --repeats 3    # the figures in docs/benchmarks.md
    python bench/bench_sweep.py --epochs 3 --trials 8 --repeats 2 --no-user-runs

Baseline ("one by one", the target's): the same grid points trained one after another in one process
(spawned afresh for each repeat and warmed by one run, as a sweep's worker is),
each exactly as a trial trains it minus the study: the graph with the point's values, a new folder in a
runs folder, a Trainer with the metrics writer, the thread count a trial of a 1-job sweep picks (the
model-size rule capped at the cores), weights.safetensors and run.json. Imports and code paths are warm
(no process start-up) and nothing is cached across runs that a trial does not also redo: the strongest
baseline, so the overhead is what the sweep machinery adds (Optuna's ask/tell on SQLite, the
heartbeat, the coordinator, worker processes).

Reference ("as a user runs them", once after the repeats; --no-user-runs skips it): the same points as
`python -m engine train POINT.json --out DIR --no-progress`, one process each, wall time per run. That
run also writes the inspection recordings an editor/CLI run keeps and pays a process start and torch
import: it is what a sweep saves a user, not the target's baseline.

Sweep: `engine.sweeps.runner.Sweep(...).run(jobs)`, a grid over the same values (worker processes,
Optuna on SQLite, trials.csv/json at most every 0.5 s). A worker keeps its last trial's data for the next
trial with the same data settings (engine/sweeps/data_cache.py), which runs made one by one cannot: each
loads its data, as the baseline's runs do. The bench prints that load's share of a run, so the overhead of
the sweep's machinery alone is the figure plus that share.

The workers' start-up (a process importing torch) is a one-time cost, printed on its own; on a loaded
machine it varies by tens of seconds and would drown the per-trial figure. The per-trial figures use
the study's own timestamps:
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
import subprocess
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
    from engine.training.threads import ThreadChoice, apply_threads, training_thread_choice
    from engine.training.trainer import Trainer

    graph = load_graph(graph_file)
    store = RunStore(runs)
    cores = os.cpu_count() or 1
    seconds = []
    for point in experiment(graph, count).grid():
        t0 = time.perf_counter()
        trial_graph = apply_values(graph, point)
        folder = store.new_run()
        trainer = Trainer(trial_graph, callbacks=[MetricsWriter(folder / "metrics.jsonl")])
        choice = training_thread_choice(trainer)  # as engine/sweeps/trial.py picks it, with 1 job
        apply_threads(ThreadChoice(min(choice.threads, cores), "bench", choice.work_per_step, cores, choice.load))
        result = trainer.fit()
        save_weights(trainer.modules, folder / "weights.safetensors", {"graph_hash": trainer.graph_hash})
        write_record(folder, run_record(trial_graph, trainer, result.status, None, time.perf_counter() - t0))
        seconds.append(time.perf_counter() - t0)
    return seconds


def one_by_one_in_a_fresh_process(graph_file: Path, count: int, runs: Path) -> list[float]:
    """`one_by_one` in a spawned process warmed by one run, as a sweep's worker is spawned and warmed:
    this process has run sweeps and holds their objects, which would slow its own runs (garbage
    collection walks them), flattering the sweep."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_warm_then_one_by_one, (graph_file, count, runs))


def _warm_then_one_by_one(graph_file: Path, count: int, runs: Path) -> list[float]:
    one_by_one(graph_file, 1, runs.with_name(runs.name + ".warm"))
    return one_by_one(graph_file, count, runs)


def user_runs(graph_file: Path, count: int, folder: Path) -> list[float]:
    """The grid's runs as a user would start them without a sweep: `python -m engine train`, one process each."""
    graph = load_graph(graph_file)
    root = Path(__file__).resolve().parents[1]
    seconds = []
    for index, point in enumerate(experiment(graph, count).grid()):
        point_file = folder / f"point{index}.json"
        save_graph(apply_values(graph, point), point_file)
        command = [sys.executable, "-m", "engine", "train", str(point_file), "--out", str(folder / f"run{index}")]
        t0 = time.perf_counter()
        subprocess.run([*command, "--no-progress"], cwd=root, check=True, capture_output=True)
        seconds.append(time.perf_counter() - t0)
    return seconds


def data_load_seconds(graph_file: Path, repeats: int = 7) -> float:
    """What each baseline run spends loading the dataset (a sweep's worker loads it once): median seconds."""
    from engine.data import load_dataset
    from engine.training.plan import make_plan

    graph = load_graph(graph_file)
    params = graph.resolved_params(make_plan(graph).dataset)
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        load_dataset(params, int(graph.training.get("seed", 0)))
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


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


class _FinishTimes:
    """Stands for a worker's event pipe: the process CPU time at each trial's end."""

    def __init__(self):
        self.cpu: list[float] = []

    def send(self, event) -> None:
        if event[0] == "finished":
            self.cpu.append(time.process_time())


def worker_loop_cpu(graph_file: Path, count: int, out: Path) -> float:
    """CPU seconds per trial of the sweep's worker loop, run in this process (what a worker process
    runs: Optuna on SQLite, the heartbeat thread, the trials' runs), from the end of its first trial
    to the end of its last. CPU time hardly moves with the machine's load, where wall time does."""
    import signal
    import threading

    from engine.sweeps.runner import Sweep, worker_main

    graph = load_graph(graph_file)
    sweep = Sweep(graph, graph_file, experiment(graph, count), out)
    sweep.open_study()
    finished = _FinishTimes()
    previous = signal.getsignal(signal.SIGINT)
    try:
        worker_main({**sweep.worker_job(1), "slot": 0}, finished, None, threading.Event(), threading.Lock())
    finally:
        signal.signal(signal.SIGINT, previous)  # the worker ignores Ctrl+C (its coordinator handles it)
    assert len(finished.cpu) == count, finished.cpu
    return (finished.cpu[-1] - finished.cpu[0]) / (count - 1)


def one_by_one_cpu(graph_file: Path, count: int, runs: Path) -> float:
    """The baseline's CPU seconds per run (its first run left out, as for the worker loop)."""
    ends = []
    original = RunStore.new_run

    def new_run(self, *args, **kwargs):  # a run's folder is made as the previous run has ended
        ends.append(time.process_time())
        return original(self, *args, **kwargs)

    RunStore.new_run = new_run
    try:
        one_by_one(graph_file, count, runs)
    finally:
        RunStore.new_run = original
    ends.append(time.process_time())
    return (ends[-1] - ends[1]) / (count - 1)


def cpu_per_trial(graph_file: Path, count: int, folder: Path) -> dict[str, float]:
    """The worker loop between two baseline blocks (A-B-A), so that a drift in the load moves both."""
    before = one_by_one_cpu(graph_file, count, folder / "before.runs")
    loop = worker_loop_cpu(graph_file, count, folder / "sweep")
    after = one_by_one_cpu(graph_file, count, folder / "after.runs")
    return {"one_by_one": (before + after) / 2, "worker_loop": loop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-user-runs", dest="user_runs", action="store_false", help="skip the reference runs")
    args = parser.parse_args()
    import torch  # noqa: F401 - warm: the baseline should not pay for imports

    import engine.training.trainer  # noqa: F401

    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    graph_file = make_graph(work, args.epochs)
    one_by_one(graph_file, 1, work / "warm.runs")  # data and code paths warm
    print(f"digits MLP, {args.epochs} epochs per trial, {args.trials} trials; {os.cpu_count()} cores")
    variants = {
        "one_by_one": lambda i: one_by_one_in_a_fresh_process(graph_file, args.trials, work / f"b{i}.runs"),
        "sweep_1job": lambda i: sweep(graph_file, args.trials, 1, work / f"s{i}"),
        "sweep_2jobs": lambda i: sweep(graph_file, args.trials, 2, work / f"j{i}"),
        "cpu": lambda i: cpu_per_trial(graph_file, args.trials, work / f"c{i}"),
    }
    names = list(variants)
    overheads, speedups, bases, cpu_overheads, data_shares = [], [], [], [], []
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]  # rotate
        load = os.getloadavg()[0]
        t = {name: variants[name](repeat) for name in order}
        base = statistics.mean(t["one_by_one"][1:])
        bases.append(base)
        one, two = t["sweep_1job"], t["sweep_2jobs"]
        overheads.append(one["per_trial"] / base - 1)
        speedups.append(two["throughput"] / one["throughput"])
        cpu = t["cpu"]
        cpu_overheads.append(cpu["worker_loop"] / cpu["one_by_one"] - 1)
        data_shares.append(data_load_seconds(graph_file) / base)
        print(
            f"repeat {repeat + 1} (order {', '.join(order)}; load {load:.1f} -> {os.getloadavg()[0]:.1f}): "
            f"one by one {base:.3f} s/run; sweep 1 job {one['per_trial']:.3f} s/trial "
            f"(start-up {one['startup']:.1f} s, first trial {one['first_trial']:.1f} s, wall {one['wall']:.1f} s), "
            f"2 jobs {1 / two['throughput']:.3f} s/trial (wall {two['wall']:.1f} s)\n"
            f"  overhead per trial {overheads[-1]:+.1%}; 2 jobs speed-up {speedups[-1]:.2f}x; "
            f"CPU per trial {cpu['worker_loop']:.3f} s in the worker loop against {cpu['one_by_one']:.3f} s "
            f"per run one by one: {cpu_overheads[-1]:+.1%}; the data load a baseline run repeats and a trial "
            f"reuses: {data_shares[-1]:.1%} of a run"
        )
    if args.user_runs:
        users = user_runs(graph_file, args.trials, Path(tempfile.mkdtemp(prefix="runs_", dir=work)))
        print(
            f"as a user runs them (`python -m engine train`, a process each, load {os.getloadavg()[0]:.1f}): "
            f"{statistics.mean(users):.3f} s/run, {statistics.mean(users) / statistics.mean(bases):.1f}x the one-by-one baseline's"
        )
    print(
        f"RESULT ({args.epochs} epochs, {args.trials} trials, median of {args.repeats} repeats): "
        f"overhead per trial {statistics.median(overheads):+.1%} "
        f"(per repeat {', '.join(f'{o:+.1%}' for o in overheads)}; target <= +5%); "
        f"2 jobs {statistics.median(speedups):.2f}x the trials per second of 1 job "
        f"(per repeat {', '.join(f'{x:.2f}x' for x in speedups)}); "
        f"CPU overhead per trial of the worker loop {statistics.median(cpu_overheads):+.1%} "
        f"(per repeat {', '.join(f'{o:+.1%}' for o in cpu_overheads)}; what a busy machine can measure); "
        f"data load reused by trials {statistics.median(data_shares):.1%} of a run (the machinery's own overhead "
        f"is the overhead plus this)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
