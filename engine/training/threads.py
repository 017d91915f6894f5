"""How many CPU threads a training run uses, chosen from the model's work per step.

torch starts one intra-op thread per core. For a small model each step is a few small matrix
products, and splitting them across threads costs more in synchronisation than it gains; on a
busy machine (other processes on the cores) the threads wait on each other and a run gets many
times slower: the digits MLP trained at 450-750 samples/s with torch's default of two threads on
a loaded 2-core machine and at 11,000-12,000 with one. Larger models gain from more threads.

The choice, in order: `--threads` (or a job's `threads`), then `OMP_NUM_THREADS` when set
(torchrun sets it to 1 per process), then the rule: one thread per `WORK_PER_THREAD`
multiply-adds per step (so one below it), at most the cores that are free: the cores less the
machine's load (the one-minute load average: other processes already running) and less the
cores left to a user interface. Threads on busy cores were slower than one thread for every
model measured, large ones included. The threshold is measured by bench/bench_threads.py and
explained in docs/training.md. The decision is torch-free; `apply_threads` sets it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from engine.analysis import Analysis
from engine.graph.model import Graph
from engine.registry import catalog

# How far a run's helper threads (file writers, the inspection recorder's summaries) step back
# from its training thread: Linux's nice is per thread, and within the run's process a thread at
# nice 10 gets about a tenth of a contended core, so it waits instead of taking the training
# thread's core while the editor's window holds the other one. Its work is the same, only later.
HELPER_NICE = 10

# Multiply-adds per training step (forward and backward) that make a second thread pay off,
# measured with bench/bench_threads.py (docs/training.md, "Threads").
WORK_PER_THREAD = 100_000_000


@dataclass(frozen=True)
class ThreadChoice:
    """The intra-op thread count a run uses, and why."""

    threads: int
    chosen_by: str  # "requested", "OMP_NUM_THREADS" or "model size"
    work_per_step: int  # estimated multiply-adds per training step
    cores: int
    load: float  # the one-minute load average when it was chosen

    def facts(self) -> dict[str, object]:
        """For run.json."""
        return {
            "threads": self.threads,
            "chosen_by": self.chosen_by,
            "work_per_step": self.work_per_step,
            "cores": self.cores,
            "load": round(self.load, 2),
        }


def step_work(graph: Graph, analysis: Analysis, parameters: Mapping[str, int], batch_size: int) -> int:
    """Multiply-adds of one training step, estimated from each layer's weights and output shape.

    A layer uses each weight once per output position: once per sample for a Linear on a vector,
    once per time step on a sequence, once per pixel for a convolution. Backward costs about
    twice the forward, hence the 3. An embedding only looks its rows up: it counts its output.
    """
    registry = catalog()
    per_sample = 0
    for node_id, count in parameters.items():
        node = graph.nodes.get(node_id)
        if node is None or node.type_id not in registry or not count:
            continue
        node_type = registry.get(node.type_id)
        spec = analysis.specs.get((node_id, node_type.outputs[0].name)) if node_type.outputs else None
        if spec is None or not spec.dims:
            per_sample += count
            continue
        if node_type.class_name == "Embedding":
            per_sample += spec.features
            continue
        channels = spec.dims[0] if node_type.class_name.startswith("Conv") else spec.dims[-1]
        per_sample += count * max(1, spec.features // max(1, channels))
    return 3 * max(1, batch_size) * per_sample


def choose_threads(
    work_per_step: int,
    requested: int | None = None,
    cores: int | None = None,
    reserve_cores: int = 0,
    environ: Mapping[str, str] = os.environ,
    load: float | None = None,
) -> ThreadChoice:
    """The thread count for a step of `work_per_step` multiply-adds (see the module's docstring)."""
    cores = cores or os.cpu_count() or 1
    load = machine_load() if load is None else load
    if requested is not None:
        if requested < 1:
            raise ValueError(f"threads must be 1 or more, got {requested}")
        return ThreadChoice(requested, "requested", work_per_step, cores, load)
    omp = environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) >= 1:
        return ThreadChoice(int(omp), "OMP_NUM_THREADS", work_per_step, cores, load)
    free = max(1, cores - reserve_cores - round(load))
    wanted = max(1, work_per_step // WORK_PER_THREAD)
    return ThreadChoice(min(free, wanted), "model size", work_per_step, cores, load)


def machine_load() -> float:
    """Runnable processes, averaged over the last minute (0 where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return 0.0


def training_thread_choice(trainer, requested: int | None = None, reserve_cores: int = 0) -> ThreadChoice:
    """The choice for a built Trainer: its layers' parameters, the analysis's shapes, its batch size."""
    parameters = {
        node_id: sum(p.numel() for p in module.parameters()) for node_id, module in trainer.modules.named_children()
    }
    work = step_work(trainer.graph, trainer.plan.analysis, parameters, trainer.batch_size)
    return choose_threads(work, requested, reserve_cores=reserve_cores)


def apply_threads(choice: ThreadChoice) -> None:
    """Set torch's intra-op thread count (for this process)."""
    import torch

    torch.set_num_threads(choice.threads)


def yield_to_training() -> None:
    """Lower the calling thread's priority to HELPER_NICE (Linux only: elsewhere nice is per process,
    and lowering it would slow the training thread too). A thread can lower but not raise its own.
    NETWRIGHT_HELPER_NICE=0 leaves the priority alone (to measure what this changes)."""
    if sys.platform.startswith("linux") and os.environ.get("NETWRIGHT_HELPER_NICE", "1") != "0":
        with contextlib.suppress(OSError):
            own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(own, HELPER_NICE))
