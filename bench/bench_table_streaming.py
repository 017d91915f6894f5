"""Streamed tables: samples/s against a plain torch streaming DataLoader over the same file (and, for context, a plain
DataLoader over the same preprocessed rows in memory), and peak memory at 1x and 10x.

    python bench/bench_table_streaming.py [--rows 200000] [--workers 2] [--repeats 3] [--epochs 2] [--folder /tmp/nw-tables]
        [--kinds csv,parquet] [--no-memory]

Writes a synthetic table (8 numeric columns, two with 1 % gaps filled by the median and the mean, a 5- and a
20-category text column one-hot encoded, a yes/no column, an integer column, a 3-class text target) as CSV and
as Parquet (row groups of 65,536), with `--rows` rows and with 10x as many (kept in `--folder`), then:

- **throughput**: one training epoch's batches (batch 256, labels included) through our streaming path
  (`load_dataset(streaming=on)` and the trainer's `stream_batches`: DataLoader workers reading and encoding
  whole chunks) against (the target's contender, >= 0.95) a plain torch streaming DataLoader over the same file:
  an IterableDataset whose workers each take their share of the epoch's shuffled chunks (the chunk's bytes through
  `pandas.read_csv`, or a row group through pyarrow's `iter_batches`), encode them with a hand-written transform
  given its constants up front (fills, one-hot category lists, class names, mean and std: taken once, untimed,
  from our own fit, so both give equal numbers), shuffle the chunk's rows and yield batches of 256; the same
  workers, persistent; and (for context) a plain `torch.utils.data.DataLoader` over a `TensorDataset` of the
  same preprocessed rows held in memory (`load_dataset(streaming=off)`), `shuffle=True`, default collate, no workers (workers
  only add copying for tensors already in memory). The first epoch of each is not timed; the next `--epochs`
  are. For context, the trainer's own in-memory path (one gather per epoch, then slices) is timed too. The
  contenders rotate in order across repeats; the headlines are the medians of per-repeat ratios ours / plain
  streaming and ours / plain in memory. Then, in this process, the CPU a worker spends reading and encoding every
  chunk, ours against the plain streaming loader's (alternated chunk by chunk, `--repeats` times).
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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench_data_streaming as image_bench  # noqa: E402  (beside this file: its peak memory reading)

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


class HandEncoding:
    """What a user writes by hand for this table, given its constants up front: the feature order, the fill values,
    the category lists (one-hot), the class names and the standardization mean and std (taken once, untimed, from
    our own fit of the same file, so both loaders give the same numbers)."""

    NUMERIC = ("x0", "x1", "x2", "x3", "x4", "x5")

    def __init__(self, path: Path, workers: int):
        from engine.data import load_dataset

        data = load_dataset(data_params(path, "on", workers), seed=0)
        transform = data.train_x.lazy.transform
        fills = {f.name: fit.fill for f, fit in zip(transform.plan.features, transform.fitted, strict=True)}
        categories = {f.name: list(f.categories) for f in transform.plan.features if f.base == "categorical"}
        data.train_x.close()
        self.g1, self.g2 = fills["g1"], fills["g2"]
        self.colours, self.towns = categories["colour"], categories["town"]
        self.classes = list(data.class_names)
        self.mean = transform.mean.astype("float32")
        self.std = transform.std.astype("float32")

    def __call__(self, frame):
        """(float32 [rows, 35] standardized, int64 labels) for a pandas frame of the table's columns."""
        import numpy as np
        import pandas as pd

        n = len(frame)
        x = np.empty((n, 35), dtype=np.float32)
        x[:, :6] = frame[list(self.NUMERIC)].to_numpy(np.float32)
        x[:, 6] = frame["g1"].fillna(self.g1).to_numpy(np.float32)
        x[:, 7] = frame["g2"].fillna(self.g2).to_numpy(np.float32)
        x[:, 8:33] = 0.0
        rows = np.arange(n)
        x[rows, 8 + pd.Categorical(frame["colour"], categories=self.colours).codes] = 1.0
        x[rows, 13 + pd.Categorical(frame["town"], categories=self.towns).codes] = 1.0
        x[:, 33] = (frame["member"] == "yes").to_numpy(np.float32)
        x[:, 34] = frame["visits"].to_numpy(np.float32)
        x -= self.mean
        x /= self.std
        y = pd.Categorical(frame["label"], categories=self.classes).codes.astype(np.int64)
        return x, y


def text_chunk_offsets(path: Path, chunk_rows: int) -> tuple[list[str], list[int]]:
    """The header's column names and the byte offset of every `chunk_rows`-th data line (then the file's end):
    one pass a user makes once, untimed, so that workers can seek to their chunks."""
    with open(path, "rb") as handle:
        columns = handle.readline().decode().strip().split(",")
        offsets = [handle.tell()]
        for count, _line in enumerate(iter(handle.readline, b""), start=1):
            if count % chunk_rows == 0:
                offsets.append(handle.tell())
        if offsets[-1] != handle.tell():
            offsets.append(handle.tell())
    return columns, offsets


def make_plain_stream(path: Path, encoding: HandEncoding, seed: int):
    """A plain torch IterableDataset over the file: each worker reads its share of this epoch's shuffled chunks
    (pandas.read_csv of the chunk's bytes, or pyarrow's iter_batches of a row group), encodes them with the hand
    transform, shuffles the chunk's rows and yields batches of BATCH."""
    import io

    import numpy as np
    import pandas as pd
    from torch.utils.data import IterableDataset, get_worker_info

    from engine.data.table_chunks import CHUNK_ROWS

    class PlainTableStream(IterableDataset):
        def __init__(self):
            self.epoch = 0  # each persistent worker counts its own epochs: all draw the same chunk order
            if path.suffix == ".csv":
                self.columns, self.offsets = text_chunk_offsets(path, CHUNK_ROWS)
                self.chunks = len(self.offsets) - 1
            else:
                import pyarrow.parquet as pq

                self.chunks = pq.ParquetFile(path).num_row_groups

        def read(self, chunk: int):
            if path.suffix == ".csv":
                with open(path, "rb") as handle:
                    handle.seek(self.offsets[chunk])
                    data = handle.read(self.offsets[chunk + 1] - self.offsets[chunk])
                return pd.read_csv(io.BytesIO(data), header=None, names=self.columns)
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)
            return pd.concat([b.to_pandas() for b in parquet.iter_batches(batch_size=1 << 20, row_groups=[chunk])])

        def __iter__(self):
            import torch

            info = get_worker_info()
            worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
            rng = np.random.default_rng(seed + self.epoch)
            self.epoch += 1
            for chunk in rng.permutation(self.chunks)[worker::workers]:
                x, y = encoding(self.read(int(chunk)))
                shuffled = rng.permutation(len(y))
                x, y = torch.from_numpy(x[shuffled]), torch.from_numpy(y[shuffled])
                for lo in range(0, len(y), BATCH):
                    yield x[lo : lo + BATCH], y[lo : lo + BATCH]

    return PlainTableStream()


def plain_streaming(path: Path, workers: int, epochs: int) -> float:
    """samples/s of a plain torch streaming DataLoader over the same file (see make_plain_stream): the same workers
    (persistent), batches made in the workers (batch_size=None)."""
    import time as clock

    from torch.utils.data import DataLoader

    encoding = HANDS.get(path) or HANDS.setdefault(path, HandEncoding(path, workers))
    loader = DataLoader(
        make_plain_stream(path, encoding, seed=0), batch_size=None, num_workers=workers, persistent_workers=workers > 0
    )
    timed, samples = 0.0, 0
    for epoch in range(epochs + 1):
        started = clock.perf_counter()
        for x, y in loader:
            x.sum()
            if epoch:
                samples += len(y)
        if epoch:
            timed += clock.perf_counter() - started
    return samples / timed


HANDS: dict = {}  # the hand transform's constants per file, found once (untimed)


def worker_cost(path: Path) -> dict[str, float]:
    """CPU seconds per 100,000 rows a worker spends reading and encoding every chunk of the file, here in one
    process: ours (RowTransform.rows) and the plain streaming loader's (its read, then the hand transform),
    alternated chunk by chunk. What each worker pays, without the batches' trip to the main process."""
    import numpy as np

    from engine.data import load_dataset

    data = load_dataset(data_params(path, "on", 0), seed=0)
    transform = data.train_x.lazy.transform
    stream = make_plain_stream(path, HANDS[path], seed=0)
    spent = {"ours": 0.0, "plain": 0.0}
    for chunk in range(transform.source.num_chunks):
        rows = np.arange(transform.source.starts[chunk + 1] - transform.source.starts[chunk])
        for name in ("ours", "plain") if chunk % 2 else ("plain", "ours"):
            started = time.process_time()
            if name == "ours":
                transform.rows(chunk, rows)
            else:
                HANDS[path](stream.read(chunk))
            spent[name] += time.process_time() - started
    return {name: seconds * 1e5 / transform.source.num_rows for name, seconds in spent.items()}


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
    own = image_bench.peak_rss_mb()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "samples": count,
        "rss_mb": own,
        "worker_rss_mb": workers_peak,
        "load_s": loaded,
        "seconds": time.perf_counter() - started,
    }


def memory(path: Path, streaming: str, workers: int) -> dict:
    return image_bench.memory(path, streaming, workers, script=__file__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per measurement")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/nw-tables"))
    parser.add_argument("--no-memory-off-10x", action="store_true", help="skip reading the 10x table whole")
    parser.add_argument("--no-memory", action="store_true", help="measure samples/s only")
    parser.add_argument("--no-throughput", action="store_true", help="measure peak memory only")
    parser.add_argument("--kinds", default="csv,parquet", help="which files: csv, parquet or both")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, streaming, workers = args.child
        print(json.dumps(child_memory(Path(path), streaming, int(workers))))
        return
    tables = {
        kind: (make_table(args.folder, args.rows, kind), make_table(args.folder, args.rows * 10, kind))
        for kind in args.kinds.split(",")
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
        if args.no_throughput:
            break
        HANDS[small] = HandEncoding(small, args.workers)  # the hand transform's constants, untimed
        runs: dict[str, list[float]] = {"ours": [], "streaming": [], "plain": [], "sliced": []}
        for repeat in range(args.repeats):
            contenders = [("ours", ours), ("streaming", plain_streaming), ("plain", plain), ("sliced", sliced)]
            contenders = contenders[repeat % 4 :] + contenders[: repeat % 4]  # rotated: each goes first in turn
            rates = {name: run(small, args.workers, args.epochs) for name, run in contenders}
            for name, rate in rates.items():
                runs[name].append(rate)
            print(
                f"{kind} repeat {repeat + 1}: ours {rates['ours']:.0f}/s, plain streaming {rates['streaming']:.0f}/s "
                f"(ours / it {rates['ours'] / rates['streaming']:.3f}), plain in memory {rates['plain']:.0f}/s "
                f"(ours / it {rates['ours'] / rates['plain']:.3f}), trainer's in-memory slices {rates['sliced']:.0f}/s"
            )
        costs = [worker_cost(small) for _ in range(args.repeats)]
        cost_ratios = [c["plain"] / c["ours"] for c in costs]
        print(
            f"{kind} worker CPU per 100,000 rows, read and encode: ours "
            + ", ".join(f"{c['ours']:.3f}" for c in costs)
            + " s; plain streaming's "
            + ", ".join(f"{c['plain']:.3f}" for c in costs)
            + f" s; median plain / ours (as a speed: ours / it) {statistics.median(cost_ratios):.3f}"
        )
        for name, label in (
            ("streaming", "plain streaming DataLoader (target >= 0.95)"),
            ("plain", "plain DataLoader in memory"),
        ):
            ratios = [o / r for o, r in zip(runs["ours"], runs[name], strict=True)]
            print(
                f"{kind} median, ours / {label}: {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max "
                f"{max(ratios):.3f}); ours {statistics.median(runs['ours']):.0f}/s, it {statistics.median(runs[name]):.0f}/s"
            )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
