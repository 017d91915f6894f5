"""What the editor's training job costs the training process, beside `fit()` alone, and where it goes.

    python bench/bench_streaming_job.py [--example mlp_digits] [--epochs 40] [--repeats 6]

In this process, one torch thread, the example's graph trained `--repeats` times each way,
alternating which goes first: `fit()` with no callbacks (bare), and `fit()` with the callbacks
the editor's training child uses (engine/runs/worker.py: MetricsWriter with both files,
InspectionRecorder, Insights, EventStream putting on a real multiprocessing queue that a spawned
process drains). Time is this process's CPU seconds (robust on a busy machine; the background
writer and the queue's feeder thread count too). Prints the per-repeat ratios full / bare, their
median, and the CPU time spent inside each callback's hooks (its own thread) per run.
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

    def train(full: bool, count: bool = True) -> float:
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
            for callback in callbacks if count else ():
                for hook in HOOKS:
                    if getattr(type(callback), hook) is not getattr(Callback, hook):  # only hooks it defines
                        setattr(callback, hook, timed(f"{type(callback).__name__}.{hook}", getattr(callback, hook)))
        trainer = Trainer(graph, settings={"device": "cpu"}, callbacks=callbacks, data=data)
        started = time.process_time()
        trainer.fit()
        return time.process_time() - started

    train(False), train(True, count=False)  # warm-up: imports, first calls
    bare, full = [], []
    for repeat in range(args.repeats):
        for kind in ("bare", "full") if repeat % 2 == 0 else ("full", "bare"):
            (bare if kind == "bare" else full).append(train(kind == "full"))
    queue.put(None)
    drainer.join(10)
    ratios = [f / b for f, b in zip(full, bare, strict=True)]
    print(
        f"{args.example}, {args.epochs} epochs, {args.repeats} alternating repeats, CPU seconds, 1 torch thread, "
        f"{os.cpu_count()} cores, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(
        f"bare fit(): median {statistics.median(bare):.3f} s;  with the editor's job: {statistics.median(full):.3f} s"
    )
    print(f"full / bare per repeat: {' '.join(f'{r:.3f}' for r in ratios)};  median {statistics.median(ratios):.3f}")
    base = statistics.median(bare)
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        per_run = seconds / args.repeats
        if per_run >= 0.0001:
            print(f"  {name:40} {per_run * 1000:7.1f} ms a run  {per_run / base * 100:5.1f} % of bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
