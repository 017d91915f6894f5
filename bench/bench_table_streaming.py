"""Streamed tables: samples/s against a plain torch DataLoader over the same preprocessed rows, and peak memory
at 1x and 10x.

    python bench/bench_table_streaming.py [--rows 200000] [--workers 2] [--repeats 3] [--epochs 2] [--folder /tmp/nw-tables]

Writes a synthetic table (8 numeric columns, two with 1 % gaps filled by the median and the mean, a 5- and a
20-category text column one-hot encoded, a yes/no column, an integer column, a 3-class text target) as CSV and
as Parquet (row groups of 65,536), with `--rows` rows and with 10x as many (kept in `--folder`), then:

- **throughput**: one training epoch's batches (batch 256, labels included) through our streaming path
  (`load_dataset(streaming=on)` and the trainer's `stream_batches`: DataLoader workers reading and encoding
  whole chunks) against a plain `torch.utils.data.DataLoader` over a `TensorDataset` of the same preprocessed
  rows held in memory (`load_dataset(streaming=off)`), `shuffle=True`, default collate, no workers (workers
  only add copying for tensors already in memory). The first epoch of each is not timed; the next `--epochs`
  are. For context, the trainer's own in-memory path (one gather per epoch, then slices) is timed too. The
  contenders rotate in order across repeats; the headline is the median of per-repeat ratios ours / plain.
- **memory** (measured first): a fresh child process per measurement loads the table (streaming on, or off:
  read whole) and reads one epoch of batches; it reports its own peak RSS (VmHWM) and the largest of its
  workers' (`getrusage(RUSAGE_CHILDREN)`: a worker's peak counts the pages it shares with the main process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 256
SETTINGS = {"columns": "g1: median; g2: mean", "categorical": "onehot"}


def make_table(root: Path, rows: int, kind: str) -> Path:
    """A synthetic table of `rows` rows at root/table-<rows>.<kind>, written once (kept for the next run)."""
    import numpy as np
    import pandas as pd

    path = root / f"table-{rows}.{kind}"
    if path.exists():
        return path
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(rows)
    label = rng.integers(0, 3, rows)
    frame = pd.DataFrame({f"x{i}": np.round(rng.normal(label * (i % 3), 1.0), 4) for i in range(6)})
    for name in ("g1", "g2"):
        values = np.round(rng.normal(label, 1.0), 4)
        values[rng.random(rows) < 0.01] = np.nan
        frame[name] = values
    frame["colour"] = np.array(["red", "green", "blue", "grey", "pink"])[(label + rng.integers(0, 3, rows)) % 5]
    frame["town"] = np.array([f"town{i:02d}" for i in range(20)])[rng.integers(0, 20, rows)]
    frame["member"] = np.where(rng.random(rows) < 0.3 + 0.2 * label, "yes", "no")
    frame["visits"] = rng.integers(0, 50, rows)
    frame["label"] = np.array(["low", "mid", "high"])[label]
    partial = path.with_suffix(".partial")
    if kind == "csv":
        frame.to_csv(partial, index=False)
    else:
        frame.to_parquet(partial, row_group_size=65536)
    partial.rename(path)
    return path


def data_params(path: Path, streaming: str, workers: int) -> dict:
    return {
        "dataset": "csv",
        "path": str(path),
        "val_split": 0.0,
        "streaming": streaming,
        "stream_workers": workers,
        **SETTINGS,
    }


def ours(path: Path, workers: int, epochs: int) -> float:
    """samples/s of the trainer's streamed batches (rows and labels), after one untimed epoch."""
    import torch

    from engine.data import load_dataset
    from engine.data.streaming_split import stream_batches

    data = load_dataset(data_params(path, "on", workers), seed=0)
    inputs = {"x": data.train_x, "y": data.train_y}
    generator = torch.Generator().manual_seed(0)
    n = len(data.train_y)
    timed = 0.0
    for epoch in range(epochs + 1):
        order = torch.randperm(n, generator=generator)
        started = time.perf_counter()
        for batch in stream_batches(inputs, order, BATCH):
            batch["x"].sum()
        if epoch:
            timed += time.perf_counter() - started
    data.train_x.close()
    return n * epochs / timed


def plain(path: Path, workers: int, epochs: int) -> float:
    """samples/s of a plain torch DataLoader over a TensorDataset of the same rows, preprocessed in memory."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from engine.data import load_dataset

    data = load_dataset(data_params(path, "off", workers), seed=0)
    dataset = TensorDataset(data.train_x, data.train_y)
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0))
    timed = 0.0
    for epoch in range(epochs + 1):
        started = time.perf_counter()
        for x, _y in loader:
            x.sum()
        if epoch:
            timed += time.perf_counter() - started
    return len(dataset) * epochs / timed


def sliced(path: Path, workers: int, epochs: int) -> float:
    """samples/s of the trainer's own in-memory path, for context: one gather per epoch, then slices."""
    import torch

    from engine.data import load_dataset

    data = load_dataset(data_params(path, "off", workers), seed=0)
    generator = torch.Generator().manual_seed(0)
    n = len(data.train_y)
    timed = 0.0
    for epoch in range(epochs + 1):
        order = torch.randperm(n, generator=generator)
        started = time.perf_counter()
        x, y = data.train_x.index_select(0, order), data.train_y.index_select(0, order)
        for lo in range(0, n, BATCH):
            x[lo : lo + BATCH].sum(), y[lo : lo + BATCH]
        if epoch:
            timed += time.perf_counter() - started
    return n * epochs / timed


def child_memory(path: Path, streaming: str, workers: int) -> dict:
    """In this (fresh) process: load, read one epoch of batches, report peak RSS in MB."""
    import torch

    from engine.data import load_dataset
    from engine.data.streaming_split import stream_batches

    started = time.perf_counter()
    data = load_dataset(data_params(path, streaming, workers), seed=0)
    loaded = time.perf_counter() - started
    inputs = {"x": data.train_x, "y": data.train_y}
    order = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(0))
    streamed = stream_batches(inputs, order, BATCH)
    if streamed is None:  # in memory: the trainer's slices of the preprocessed tensor
        x = data.train_x.index_select(0, order)
        batches = ({"x": x[lo : lo + BATCH]} for lo in range(0, len(order), BATCH))
    else:
        batches = streamed
    count = sum(len(batch["x"]) for batch in batches)
    if hasattr(data.train_x, "close"):
        data.train_x.close()
    own = peak_rss_mb()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "samples": count,
        "rss_mb": own,
        "worker_rss_mb": workers_peak,
        "load_s": loaded,
        "seconds": time.perf_counter() - started,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    over from the parent across fork and exec, so a child would report its parent's peak when that is larger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(path: Path, streaming: str, workers: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), streaming, str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per measurement")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/nw-tables"))
    parser.add_argument("--no-memory-off-10x", action="store_true", help="skip reading the 10x table whole")
    parser.add_argument("--no-memory", action="store_true", help="measure samples/s only")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, streaming, workers = args.child
        print(json.dumps(child_memory(Path(path), streaming, int(workers))))
        return
    tables = {
        kind: (make_table(args.folder, args.rows, kind), make_table(args.folder, args.rows * 10, kind))
        for kind in ("csv", "parquet")
    }
    for kind, (small, large) in tables.items():
        print(f"{kind}: {small.stat().st_size / 2**20:.1f} MB and {large.stat().st_size / 2**20:.1f} MB on disk")
    print(f"rows: {args.rows} and {args.rows * 10}; 13 columns -> 35 features; workers {args.workers}, batch {BATCH}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    for kind, (small, large) in tables.items():
        if args.no_memory:
            break
        cases = [("streaming", small), ("streaming", large), ("in memory", small)]
        if not args.no_memory_off_10x:
            cases.append(("in memory", large))
        for label, path in cases:
            result = memory(path, "on" if label == "streaming" else "off", args.workers)
            print(
                f"peak RSS, {kind}, {label}, {result['samples']} rows: main {result['rss_mb']:.0f} MB, "
                f"largest worker {result['worker_rss_mb']:.0f} MB (load {result['load_s']:.1f} s, "
                f"with one epoch {result['seconds']:.1f} s)"
            )
    for kind, (small, _) in tables.items():
        ratios, ours_rates, plain_rates = [], [], []
        for repeat in range(args.repeats):
            contenders = [("ours", ours), ("plain", plain), ("sliced", sliced)]
            contenders = contenders[repeat % 3 :] + contenders[: repeat % 3]  # rotated: each goes first once
            rates = {name: run(small, args.workers, args.epochs) for name, run in contenders}
            ratios.append(rates["ours"] / rates["plain"])
            ours_rates.append(rates["ours"])
            plain_rates.append(rates["plain"])
            print(
                f"{kind} repeat {repeat + 1}: ours {rates['ours']:.0f}/s, plain {rates['plain']:.0f}/s, "
                f"ratio {ratios[-1]:.3f}; in memory, the trainer's slices {rates['sliced']:.0f}/s"
            )
        print(
            f"{kind} median: ours {statistics.median(ours_rates):.0f}/s, plain {statistics.median(plain_rates):.0f}/s, "
            f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
