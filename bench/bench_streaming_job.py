"""What the editor's training job costs the training process, beside `fit()` alone, and where it goes.

    python bench/bench_streaming_job.py [--example mlp_digits] [--epochs 40] [--repeats 6]

In this process, one torch thread, the example's graph trained `--repeats` times each way,
in an order rotated every repeat: `fit()` with no callbacks (bare), and `fit()` with the callbacks
the editor's training child uses (engine/runs/worker.py: MetricsWriter with both files,
InspectionRecorder, Insights, EventStream putting on a real multiprocessing queue that a spawned
process drains). Time is this process's CPU seconds (robust on a busy machine; the background
writer and the queue's feeder thread count too). Prints the per-repeat ratios full / bare, their
median, and the CPU time spent inside each callback's hooks (its own thread) per run.

`--breakdown` also trains, in the same rotation, the job without each one of its callbacks in
turn: full / bare minus (without X) / bare is what X costs in all, its writer threads and their
contention for the GIL with the training thread included, which its hooks' own time leaves out.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def drain(queue) -> None:
    while queue.get() is not None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="mlp_digits")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--breakdown", action="store_true", help="also the job without each callback in turn")
    args = parser.parse_args(argv)

    import torch

    from engine.data import load_dataset
    from engine.graph import load_graph
    from engine.inspection.recorder import InspectionRecorder
    from engine.runs.worker import EventStream
    from engine.training.callbacks import HOOKS, Callback, MetricsWriter
    from engine.training.insights import Insights
    from engine.training.plan import make_plan
    from engine.training.trainer import Trainer

    torch.set_num_threads(1)
    example = ROOT / "resources" / "examples" / f"{args.example}.json"
    graph = load_graph(example)
    data = load_dataset(graph.resolved_params(make_plan(graph).dataset), int(graph.training.get("seed", 0)))
    spent: dict[str, float] = collections.defaultdict(float)
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-"))
    queue = multiprocessing.get_context("spawn").Queue()
    drainer = multiprocessing.get_context("spawn").Process(target=drain, args=(queue,), daemon=True)
    drainer.start()

    def timed(name, hook):
        def run(*hook_args):
            started = time.thread_time()
            try:
                return hook(*hook_args)
            finally:
                spent[name] += time.thread_time() - started

        return run

    def train(full: bool, count: bool = True, without: str | None = None) -> float:
        graph = load_graph(example)
        graph.training["epochs"] = args.epochs
        callbacks = []
        if full:
            run_dir = Path(tempfile.mkdtemp(dir=folder))
            stream = EventStream(queue)
            callbacks = [
                MetricsWriter(run_dir / "metrics.jsonl", run_dir / "batches.jsonl"),
                InspectionRecorder(run_dir),
                Insights(stream.insights, min_interval=0.5),
                stream,
            ]
            callbacks = [c for c in callbacks if type(c).__name__ != without]
            for callback in callbacks if count else ():
                for hook in HOOKS:
                    if getattr(type(callback), hook) is not getattr(Callback, hook):  # only hooks it defines
                        setattr(callback, hook, timed(f"{type(callback).__name__}.{hook}", getattr(callback, hook)))
        trainer = Trainer(graph, settings={"device": "cpu"}, callbacks=callbacks, data=data)
        started = time.process_time()
        trainer.fit()
        return time.process_time() - started

    train(False), train(True, count=False)  # warm-up: imports, first calls
    names = ["MetricsWriter", "InspectionRecorder", "Insights", "EventStream"] if args.breakdown else []
    kinds = ["bare", "full", *names]
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for repeat in range(args.repeats):
        shift = repeat % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:  # rotated: none is always first
            # only the full job's hooks are timed (the per-run figures below divide by the repeats)
            times[kind].append(train(kind != "bare", count=kind == "full", without=kind))
    bare, full = times["bare"], times["full"]
    queue.put(None)
    drainer.join(10)
    ratios = [f / b for f, b in zip(full, bare, strict=True)]
    print(
        f"{args.example}, {args.epochs} epochs, {args.repeats} repeats in rotated order, CPU seconds, 1 torch thread, "
        f"{os.cpu_count()} cores, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(
        f"bare fit(): median {statistics.median(bare):.3f} s;  with the editor's job: {statistics.median(full):.3f} s"
    )
    print(f"full / bare per repeat: {' '.join(f'{r:.3f}' for r in ratios)};  median {statistics.median(ratios):.3f}")
    for name in names:
        without = statistics.median(w / b for w, b in zip(times[name], bare, strict=True))
        print(
            f"  without {name:20} full job / bare {without:.3f}: {name} costs {statistics.median(ratios) - without:+.3f}"
        )
    base = statistics.median(bare)
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        per_run = seconds / args.repeats
        if per_run >= 0.0001:
            print(f"  {name:40} {per_run * 1000:7.1f} ms a run  {per_run / base * 100:5.1f} % of bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
