"""Training speed with 1 thread and with more, for models of growing size: where do threads pay off?

    python bench/bench_threads.py                    # 1 and 2 threads, 3 interleaved repeats
    python bench/bench_threads.py --threads 1 2 4 --repeats 5 --seconds 1.5

Each model is a graph compiled by the engine and trained the way the trainer steps (forward,
loss, backward, Adam) on random tensors of its input shape. For each model and batch size it
prints the work per step that `engine.training.threads.step_work` estimates (multiply-adds,
forward and backward), samples per second with each thread count (median of the repeats,
which run interleaved so a busy machine slows every setting alike), the speed-up of the most
threads over one, and the count `choose_threads` picks on this machine at its present load
(`--idle` shows what it would pick on idle cores). The rule's threshold (`WORK_PER_THREAD`)
comes from where the speed-up crosses 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from engine.analysis import analyze  # noqa: E402
from engine.compiler import compile_graph  # noqa: E402
from engine.graph import Graph  # noqa: E402
from engine.training.threads import WORK_PER_THREAD, choose_threads, step_work  # noqa: E402


def mlp(inputs: int, hidden: list[int]) -> Graph:
    graph = Graph(name=f"mlp {inputs}-{'-'.join(map(str, hidden))}-10")
    graph.add_node("data.Input", {"shape": [inputs]}, node_id="x")
    previous = "x"
    for index, width in enumerate([*hidden, 10]):
        graph.add_node("layers.Linear", {"out_features": width}, node_id=f"fc{index}")
        graph.connect(previous, "out", f"fc{index}", "in")
        previous = f"fc{index}"
        if index < len(hidden):
            graph.add_node("activations.ReLU", node_id=f"relu{index}")
            graph.connect(previous, "out", f"relu{index}", "in")
            previous = f"relu{index}"
    return _with_loss(graph, previous)


def cnn(channels: int, size: int, widths: tuple[int, int]) -> Graph:
    graph = Graph(name=f"cnn {channels}x{size}x{size} {widths[0]}/{widths[1]}")
    graph.add_node("data.Input", {"shape": [channels, size, size]}, node_id="x")
    previous = "x"
    for index, width in enumerate(widths):
        for node_id, type_id, params in (
            (f"conv{index}", "layers.Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1}),
            (f"relu{index}", "activations.ReLU", {}),
            (f"pool{index}", "layers.MaxPool2d", {"kernel_size": 2}),
        ):
            graph.add_node(type_id, params, node_id=node_id)
            graph.connect(previous, "out", node_id, "in")
            previous = node_id
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.connect(previous, "out", "flat", "in")
    graph.connect("flat", "out", "head", "in")
    return _with_loss(graph, "head")


def _with_loss(graph: Graph, prediction: str) -> Graph:
    graph.add_node("data.Input", {"shape": [10]}, node_id="target")
    graph.add_node("losses.MSE", node_id="loss")
    graph.connect(prediction, "out", "loss", "prediction")
    graph.connect("target", "out", "loss", "target")
    return graph


MODELS = [
    mlp(64, [32]),
    mlp(64, [128]),  # the digits MLP's size
    mlp(784, [256]),
    mlp(784, [512, 512]),
    mlp(784, [1024, 1024]),
    mlp(784, [2048, 2048]),
    cnn(1, 8, (16, 32)),
    cnn(1, 28, (16, 32)),
    cnn(3, 32, (32, 64)),
]


class Run:
    """One model compiled once, stepped at a given batch size."""

    def __init__(self, graph: Graph, batch: int):
        analysis = analyze(graph)
        assert analysis.ok, analysis.errors[:2]
        self.model = compile_graph(graph, "loss", analysis)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4)
        self.inputs = {
            "x": torch.randn(batch, *analysis.specs[("x", "out")].dims),
            "target": torch.randn(batch, 10),
        }
        self.batch = batch
        parameters = {n: sum(p.numel() for p in m.parameters()) for n, m in self.model.named_children()}
        self.work = step_work(graph, analysis, parameters, batch)

    def samples_per_second(self, threads: int, seconds: float) -> float:
        torch.set_num_threads(threads)
        self.step()  # first step after a change of threads pays the pool's start
        steps, start = 0, time.perf_counter()
        while steps < 3 or time.perf_counter() - start < seconds:
            self.step()
            steps += 1
        return steps * self.batch / (time.perf_counter() - start)

    def step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.model(**self.inputs).backward()
        self.optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.8, help="per measurement")
    parser.add_argument("--idle", action="store_true", help="show the rule's pick for idle cores")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"{cores} cores, load average {os.getloadavg()[0]:.1f}; WORK_PER_THREAD = {WORK_PER_THREAD:,}")
    header = " ".join(f"{t} thr/s".rjust(10) for t in args.threads)
    print(f"{'model':<26} {'batch':>5} {'M mult-adds':>11} {header} {'speed-up':>8} {'rule':>4}")
    for graph in MODELS:
        for batch in args.batches:
            run = Run(graph, batch)
            rates: dict[int, list[float]] = {t: [] for t in args.threads}
            for repeat in range(args.repeats):
                order = args.threads if repeat % 2 == 0 else list(reversed(args.threads))
                for threads in order:
                    rates[threads].append(run.samples_per_second(threads, args.seconds))
            medians = {t: statistics.median(r) for t, r in rates.items()}
            speedup = medians[max(args.threads)] / medians[min(args.threads)]
            rule = choose_threads(run.work, cores=cores, environ={}, load=0.0 if args.idle else None).threads
            cells = " ".join(f"{medians[t]:>10,.0f}" for t in args.threads)
            print(f"{graph.name:<26} {batch:>5} {run.work / 1e6:>11.1f} {cells} {speedup:>8.2f} {rule:>4}")


if __name__ == "__main__":
    main()
