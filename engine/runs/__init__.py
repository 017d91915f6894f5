"""Runs kept beside a graph file, and the child process that trains one while a UI watches.

    store = RunStore.beside(Path("mnist.json"))   # mnist.runs/
    folder = store.new_run()                       # mnist.runs/20250101-120000-1a2b/
    store.runs()                                   # RunInfo per run, newest first
    diff_runs(a.record, b.record)                  # the settings and nodes that differ

`engine.runs.worker` holds the child process's side (no Qt); the editor starts it with
multiprocessing spawn and reads its batched events from a queue.
"""

from engine.runs.diff import RunDiff, diff_runs
from engine.runs.store import RUNS_SUFFIX, RunInfo, RunStore, read_jsonl

__all__ = ["RUNS_SUFFIX", "RunDiff", "RunInfo", "RunStore", "diff_runs", "read_jsonl"]
