"""Streamed image folders: samples/s against a plain torch DataLoader, and peak memory at 1x and 10x.

    python bench/bench_data_streaming.py [--images 3000] [--workers 2] [--repeats 5] [--folder /tmp/nw-stream]

Writes a synthetic image folder of PNG files (10 classes, 64x64 RGB, smooth shapes plus noise)
with `--images` files and one with 10x as many (kept in `--folder` for the next run), then:

- **throughput**: one training epoch's batches (batch 64, the image folder read at image_size 48,
  rgb) through our streaming path (`load_dataset(streaming=on)` and the trainer's
  `stream_batches`, labels included) and through a plain `torch.utils.data.DataLoader` over the
  same files with the same decode (`ImageFiles.decode`: Pillow open, convert, resize, /255),
  `shuffle=True`, the same workers, `persistent_workers=True`, default collate. The first epoch
  of each (workers starting) is not timed; the next `--epochs` are. The two alternate in order
  across repeats; the headline is the median of per-repeat ratios (target >= 0.95).
- **memory**: a fresh child process per measurement loads the folder (streaming on, or off: the
  whole folder decoded in memory) and reads one epoch of batches; it reports its own peak RSS
  (VmHWM from /proc/self/status: getrusage's ru_maxrss would carry the bench's own peak over into the
  child) and the largest worker's (`getrusage(RUSAGE_CHILDREN)`: a forked worker's peak counts the
  pages it shares with the main process).
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

SOURCE_SIDE = 64
IMAGE_SIZE = 48
BATCH = 64
CLASSES = 10


def make_folder(root: Path, count: int) -> Path:
    """`count` PNGs under root/<count>/cNN/, written once (a marker file says it is complete)."""
    import numpy as np
    from PIL import Image

    folder = root / f"images-{count}"
    done = folder / ".complete"
    if done.exists():
        return folder
    rng = np.random.default_rng(count)
    yy, xx = np.mgrid[0:SOURCE_SIDE, 0:SOURCE_SIDE]
    for i in range(count):
        label = i % CLASSES
        target = folder / f"c{label:02d}"
        target.mkdir(parents=True, exist_ok=True)
        cx, cy, r = rng.uniform(16, 48), rng.uniform(16, 48), 6 + 2 * label
        disc = ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r)[..., None] * rng.uniform(80, 200, size=3)
        pixels = np.clip(disc + rng.normal(40, 12, size=(SOURCE_SIDE, SOURCE_SIDE, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(target / f"{i:06d}.png")
    done.write_text("ok")
    return folder


def data_params(folder: Path, streaming: str, workers: int) -> dict:
    return {
        "dataset": "image_folder",
        "path": str(folder),
        "image_size": IMAGE_SIZE,
        "color": "rgb",
        "val_split": 0.0,
        "streaming": streaming,
        "stream_workers": workers,
    }


def ours(folder: Path, workers: int, epochs: int) -> float:
    """samples/s of the trainer's streamed batches (images and labels), after one untimed epoch."""
    import torch

    from engine.data import load_dataset
    from engine.data.streaming_split import stream_batches

    data = load_dataset(data_params(folder, "on", workers), seed=0)
    inputs = {"x": data.train_x, "y": data.train_y}
    generator = torch.Generator().manual_seed(0)
    n = len(data.train_y)
    timed = 0.0
    for epoch in range(epochs + 1):
        order = torch.randperm(n, generator=generator)
        started = time.perf_counter()
        for batch in stream_batches(inputs, order, BATCH):
            batch["x"].sum()  # touch the pixels, as a model would
        if epoch:
            timed += time.perf_counter() - started
    data.train_x.close()
    return n * epochs / timed


class PlainImages:
    """A plain map-style dataset over the same files, with the same decode."""

    def __init__(self, files, labels):
        self.files, self.labels = files, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        import torch

        return torch.from_numpy(self.files.decode(i)), int(self.labels[i])


def plain(folder: Path, workers: int, epochs: int) -> float:
    """samples/s of a plain torch DataLoader (shuffle, workers, persistent workers, default collate)."""
    import torch
    from torch.utils.data import DataLoader

    from engine.data.describe import source_of

    params = {**data_params(folder, "on", workers), "classes": []}
    raw = source_of(params).read(params, 0)  # the listing only: which files, which labels
    dataset = PlainImages(raw.x.files, raw.y)
    loader = DataLoader(
        dataset,
        batch_size=BATCH,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(0),
    )
    timed = 0.0
    for epoch in range(epochs + 1):
        started = time.perf_counter()
        for x, _y in loader:
            x.sum()
        if epoch:
            timed += time.perf_counter() - started
    return len(dataset) * epochs / timed


def child_memory(folder: Path, streaming: str, workers: int) -> dict:
    """In this (fresh) process: load, read one epoch of batches, report peak RSS in MB."""
    import torch

    from engine.data import load_dataset
    from engine.data.streaming_split import StreamedImages, stream_batches

    started = time.perf_counter()
    data = load_dataset(data_params(folder, streaming, workers), seed=0)
    inputs = {"x": data.train_x, "y": data.train_y}
    order = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(0))
    streamed = stream_batches(inputs, order, BATCH)
    if streamed is None:  # in memory: the trainer's slices of the decoded tensor
        x = data.train_x.index_select(0, order)
        batches = ({"x": x[lo : lo + BATCH]} for lo in range(0, len(order), BATCH))
    else:
        batches = streamed
    count = sum(len(batch["x"]) for batch in batches)
    if isinstance(data.train_x, StreamedImages):
        data.train_x.close()
    own = peak_rss_mb()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    carried = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the old reading, for comparison
    return {
        "samples": count,
        "rss_mb": own,
        "ru_maxrss_mb": carried,
        "worker_rss_mb": workers_peak,
        "seconds": time.perf_counter() - started,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    over from the parent across fork and exec, so this child reported the bench's own peak whenever that was larger
    (before 2026-11-27 the streamed figures were the parent's 238 MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(folder: Path, streaming: str, workers: int, script: str = __file__) -> dict:
    """What `script --child FOLDER STREAMING WORKERS` measured in a fresh process (its last line, JSON)."""
    out = subprocess.run(
        [sys.executable, script, "--child", str(folder), streaming, str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per measurement")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/nw-stream"))
    parser.add_argument("--no-memory-off-10x", action="store_true", help="skip the in-memory load of the 10x folder")
    parser.add_argument("--no-throughput", action="store_true", help="measure peak memory only")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, streaming, workers = args.child
        print(json.dumps(child_memory(Path(folder), streaming, int(workers))))
        return
    small = make_folder(args.folder, args.images)
    large = make_folder(args.folder, args.images * 10)
    decoded = args.images * 3 * IMAGE_SIZE * IMAGE_SIZE * 4 / 2**20
    print(f"folders: {args.images} and {args.images * 10} PNGs ({SOURCE_SIDE}x{SOURCE_SIDE} RGB) read at {IMAGE_SIZE}")
    print(f"decoded size: {decoded:.0f} MB and {decoded * 10:.0f} MB; workers {args.workers}, batch {BATCH}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    ratios, ours_rates, plain_rates = [], [], []
    for repeat in range(0 if args.no_throughput else args.repeats):
        contenders = [("ours", ours), ("plain", plain)]
        if repeat % 2:
            contenders.reverse()
        rates = {name: run(small, args.workers, args.epochs) for name, run in contenders}
        ratios.append(rates["ours"] / rates["plain"])
        ours_rates.append(rates["ours"])
        plain_rates.append(rates["plain"])
        print(f"repeat {repeat + 1}: ours {rates['ours']:.0f}/s, plain {rates['plain']:.0f}/s, ratio {ratios[-1]:.3f}")
    if ratios:
        print(
            f"median: ours {statistics.median(ours_rates):.0f}/s, plain {statistics.median(plain_rates):.0f}/s, "
            f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); target >= 0.95"
        )
    bench_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this bench process's own peak so far: {bench_peak:.0f} MB (a child's ru_maxrss starts from it)")
    cases = [("streaming", small), ("streaming", large), ("in memory", small)]
    if not args.no_memory_off_10x:
        cases.append(("in memory", large))
    for label, folder in cases:
        result = memory(folder, "on" if label == "streaming" else "off", args.workers)
        print(
            f"peak RSS, {label}, {result['samples']} images: main {result['rss_mb']:.0f} MB, "
            f"largest worker {result['worker_rss_mb']:.0f} MB ({result['seconds']:.1f} s; the child's ru_maxrss, "
            f"the earlier reading: {result['ru_maxrss_mb']:.0f} MB)"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
